#pragma once
// HKDF-SHA256 (RFC 5869) as its two halves, which HPKE calls separately: OpenSSL's EVP_KDF "HKDF"
// in EXTRACT_ONLY and EXPAND_ONLY modes.
#include <cstddef>
#include <string>
#include <string_view>

namespace chrysalis::crypto {

inline constexpr std::size_t kSha256Size = 32;

// HKDF-Extract(salt, ikm): a 32-byte pseudorandom key. An empty salt means HashLen zero bytes.
std::string hkdf_sha256_extract(std::string_view salt, std::string_view ikm);

// HKDF-Expand(prk, info, length); length is at most 255 * 32 (std::invalid_argument otherwise).
std::string hkdf_sha256_expand(std::string_view prk, std::string_view info, std::size_t length);

}  // namespace chrysalis::crypto
