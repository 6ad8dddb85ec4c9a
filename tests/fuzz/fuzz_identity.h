#pragma once
// The fixed identity of the RA-TLS certificate target: its seeds are signed with this key and carry
// claims created at this time, and the harness re-signs and judges certificates with the same two.
#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <cstdint>

namespace chrysalis::fuzz {

inline constexpr int64_t kNowUnix = 1780000000;  // 2026-05, also the quote target's clock

inline std::chrono::system_clock::time_point fixed_now() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(kNowUnix));
}

// Never freed: it lives as long as the fuzzing process.
inline EVP_PKEY* fixed_ed25519_key() {
  static EVP_PKEY* key = [] {
    std::array<uint8_t, 32> seed{};
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i + 1);
    return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size());
  }();
  return key;
}

}  // namespace chrysalis::fuzz
