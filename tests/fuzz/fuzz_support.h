#pragma once
// Helpers the harnesses share: the input as text, and input-derived cut points for feeding a
// stream the way a peer's TCP segments would deliver it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace chrysalis::fuzz {

inline std::string_view as_text(const uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Cuts `text` into pieces of 1..max_piece bytes and hands each to `take` in order. The lengths come
// from a generator seeded with a hash of the text itself, so every input has its own cut points and a
// crash reproduces from the input alone.
template <typename Take>
void for_each_piece(std::string_view text, std::size_t max_piece, Take take) {
  if (max_piece <= 1) {
    for (std::size_t at = 0; at < text.size(); ++at) take(text.substr(at, 1));
    return;
  }
  uint64_t state = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : text) state = (state ^ c) * 1099511628211ull;
  if (state == 0) state = 1;
  for (std::size_t at = 0; at < text.size();) {
    state ^= state << 13;  // xorshift64
    state ^= state >> 7;
    state ^= state << 17;
    std::size_t n = std::min<std::size_t>(1 + state % max_piece, text.size() - at);
    take(text.substr(at, n));
    at += n;
  }
}

}  // namespace chrysalis::fuzz
