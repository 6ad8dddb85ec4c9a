#pragma once
#include <cstdint>
#include <string_view>

namespace chrysalis::model {

// SplitMix64: tiny, fast and fully specified, so weights are bit-identical on every
// platform and standard library (std::uniform_real_distribution is not).
class SeededRng {
 public:
  explicit SeededRng(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // Uniform in [-1, 1): 24 random bits scaled exactly, so no rounding differences anywhere.
  float symmetric() { return static_cast<float>(static_cast<int64_t>(next() >> 40) - (1 << 23)) / float(1 << 23); }

 private:
  uint64_t state_;
};

// FNV-1a, used to give every tensor its own stream derived from (seed, tensor name).
inline uint64_t fnv1a(std::string_view text) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

}  // namespace chrysalis::model
