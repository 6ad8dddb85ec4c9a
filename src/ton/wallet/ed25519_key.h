#pragma once
// Ed25519 keys as TON uses them (OpenSSL EVP): a 32-byte seed is the private key (@ton/crypto's
// keyPairFromSeed; its 64-byte secretKey is seed || public key), signatures are 64 bytes
// over the message bytes (for wallets and our contracts: a cell's representation hash).
#include <array>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

namespace chrysalis::ton {

using PublicKey = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;

class Ed25519Key {
 public:
  // From the 32-byte seed, or from a 64-byte seed||public secret key (the public half is checked).
  static Ed25519Key from_seed(std::span<const uint8_t> seed_or_secret);
  // A fresh random key (OpenSSL RAND).
  static Ed25519Key generate();

  const std::array<uint8_t, 32>& seed() const { return seed_; }
  const PublicKey& public_key() const { return public_key_; }
  Signature sign(std::span<const uint8_t> message) const;

 private:
  std::array<uint8_t, 32> seed_{};
  PublicKey public_key_{};
};

// True when `signature` is a valid Ed25519 signature of `message` by `public_key`.
bool ed25519_verify(const PublicKey& public_key, std::span<const uint8_t> message, const Signature& signature);

}  // namespace chrysalis::ton
