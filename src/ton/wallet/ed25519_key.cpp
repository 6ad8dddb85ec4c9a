#include "ton/wallet/ed25519_key.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>

#include "crypto/openssl_util.h"

namespace chrysalis::ton {

namespace {
using PkeyPtr = crypto::OsslPtr<EVP_PKEY, EVP_PKEY_free>;
using MdCtxPtr = crypto::OsslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;

PkeyPtr private_key(const std::array<uint8_t, 32>& seed) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!key) throw std::runtime_error(crypto::openssl_error("Ed25519 private key"));
  return key;
}
}  // namespace

Ed25519Key Ed25519Key::from_seed(std::span<const uint8_t> seed_or_secret) {
  if (seed_or_secret.size() != 32 && seed_or_secret.size() != 64)
    throw std::invalid_argument("Ed25519 key: expected a 32-byte seed or 64-byte secret key, got " +
                                std::to_string(seed_or_secret.size()) + " bytes");
  Ed25519Key k;
  std::copy_n(seed_or_secret.begin(), 32, k.seed_.begin());
  auto key = private_key(k.seed_);
  size_t len = k.public_key_.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), k.public_key_.data(), &len) != 1 || len != 32)
    throw std::runtime_error(crypto::openssl_error("Ed25519 public key"));
  if (seed_or_secret.size() == 64 &&
      !std::equal(k.public_key_.begin(), k.public_key_.end(), seed_or_secret.begin() + 32))
    throw std::invalid_argument("Ed25519 key: the secret key's public half does not match its seed");
  return k;
}

Ed25519Key Ed25519Key::generate() {
  std::array<uint8_t, 32> seed{};
  if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1)
    throw std::runtime_error(crypto::openssl_error("RAND_bytes"));
  return from_seed(seed);
}

Signature Ed25519Key::sign(std::span<const uint8_t> message) const {
  auto key = private_key(seed_);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  Signature sig{};
  size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1 || len != sig.size())
    throw std::runtime_error(crypto::openssl_error("Ed25519 sign"));
  return sig;
}

bool ed25519_verify(const PublicKey& public_key, std::span<const uint8_t> message, const Signature& signature) {
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size()) == 1;
}

}  // namespace chrysalis::ton
