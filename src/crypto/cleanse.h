#pragma once
// Overwrites secrets before their memory is freed (OPENSSL_cleanse is not optimised away).
#include <openssl/crypto.h>

#include <array>
#include <cstddef>
#include <string>

namespace chrysalis::crypto {

inline void cleanse(std::string& secret) { OPENSSL_cleanse(secret.data(), secret.size()); }

template <std::size_t N>
void cleanse(std::array<unsigned char, N>& secret) {
  OPENSSL_cleanse(secret.data(), secret.size());
}

}  // namespace chrysalis::crypto
