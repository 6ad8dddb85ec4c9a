#pragma once
// Byte helpers shared by the quote parser, builder and verifier: fixed-size fields, hex text,
// little-endian integers (every integer in a DCAP quote is little-endian).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/hex.h"

namespace chrysalis::attest {

using Bytes = std::vector<uint8_t>;
template <size_t N>
using Fixed = std::array<uint8_t, N>;

// Hex: common/hex.h. from_hex accepts upper or lower case; throws std::invalid_argument on odd
// length or a non-hex digit.
using chrysalis::from_hex;
using chrysalis::to_hex;

template <size_t N>
Fixed<N> fixed_from_hex(std::string_view hex) {
  Bytes b = from_hex(hex);
  if (b.size() != N) throw std::invalid_argument("expected " + std::to_string(N) + " hex bytes");
  Fixed<N> out{};
  for (size_t i = 0; i < N; ++i) out[i] = b[i];
  return out;
}

inline uint16_t load_le16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
inline uint64_t load_le64(const uint8_t* p) { return uint64_t(load_le32(p)) | (uint64_t(load_le32(p + 4)) << 32); }

inline void append_le16(Bytes& out, uint16_t v) {
  out.push_back(uint8_t(v));
  out.push_back(uint8_t(v >> 8));
}
inline void append_le32(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}
inline void append_le64(Bytes& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(uint8_t(v >> (8 * i)));
}
inline void append(Bytes& out, std::span<const uint8_t> bytes) { out.insert(out.end(), bytes.begin(), bytes.end()); }

template <size_t N>
bool all_zero(const Fixed<N>& f) {
  for (uint8_t b : f)
    if (b) return false;
  return true;
}

}  // namespace chrysalis::attest
