#pragma once
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

// Little-endian primitive encoding used by the GGUF writer.
namespace chrysalis::model::detail {

static_assert(std::endian::native == std::endian::little,
              "GGUF is little-endian; this encoder copies host bytes as they are");

template <typename T>
void put(std::vector<uint8_t>& out, T value) {
  uint8_t raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));
  out.insert(out.end(), raw, raw + sizeof(T));
}

// GGUF strings: uint64 byte length, then UTF-8 bytes without a terminator.
inline void put_string(std::vector<uint8_t>& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

}  // namespace chrysalis::model::detail
