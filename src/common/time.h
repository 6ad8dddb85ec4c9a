#pragma once
#include <chrono>
#include <cstdint>

namespace chrysalis {

inline int64_t unix_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Monotonic clock for durations; never jumps with wall-clock changes.
inline int64_t steady_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace chrysalis
