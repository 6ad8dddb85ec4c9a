#pragma once
// X25519 key pairs and Diffie-Hellman (RFC 7748) through OpenSSL's EVP_PKEY.
#include <array>
#include <cstdint>
#include <optional>

namespace chrysalis::crypto {

using X25519Key = std::array<uint8_t, 32>;

struct X25519KeyPair {
  X25519Key private_key{}, public_key{};
  // A fresh random key (OpenSSL's keygen draws it from RAND_bytes).
  static X25519KeyPair generate();
  // The pair of a given private key; the key is kept as given (clamping happens inside X25519).
  static X25519KeyPair from_private(const X25519Key& private_key);
};

// X25519(private_key, peer_public). nullopt when the result is all zero (a small-order peer key,
// RFC 7748 §6.1): such a secret is known to anyone, so it must never key anything.
std::optional<X25519Key> x25519_shared_secret(const X25519Key& private_key, const X25519Key& peer_public);

}  // namespace chrysalis::crypto
