#pragma once
// ChaCha20-Poly1305 (RFC 8439) through OpenSSL's EVP_CIPHER: 32-byte key, 12-byte nonce, 16-byte tag
// appended to the ciphertext.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chrysalis::crypto {

inline constexpr std::size_t kChaChaKeySize = 32;
inline constexpr std::size_t kChaChaNonceSize = 12;
inline constexpr std::size_t kChaChaTagSize = 16;

// ciphertext || tag. Throws std::invalid_argument on a key or nonce of the wrong size.
std::string chacha20_poly1305_seal(std::string_view key, std::string_view nonce, std::string_view aad,
                                   std::string_view plaintext);

// The plaintext, or nullopt when the tag does not verify (or the input is shorter than a tag).
std::optional<std::string> chacha20_poly1305_open(std::string_view key, std::string_view nonce, std::string_view aad,
                                                  std::string_view ciphertext);

// base_nonce XOR sequence, the sequence as a big-endian number in the nonce's last 8 bytes: the
// per-message nonce of RFC 9180 §5.2, also used for the e2e answer records.
std::string nonce_for_sequence(std::string_view base_nonce, uint64_t sequence);

}  // namespace chrysalis::crypto
