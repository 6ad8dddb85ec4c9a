#include "crypto/x25519.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <stdexcept>

#include "crypto/cleanse.h"
#include "crypto/openssl_util.h"

namespace chrysalis::crypto {
namespace {

using PkeyPtr = OsslPtr<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtxPtr = OsslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;

X25519Key raw_public_key(EVP_PKEY* pkey) {
  X25519Key out{};
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(pkey, out.data(), &len) != 1 || len != out.size())
    throw std::runtime_error(openssl_error("reading an X25519 public key"));
  return out;
}

}  // namespace

X25519KeyPair X25519KeyPair::generate() {
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
  if (!pkey) throw std::runtime_error(openssl_error("generating an X25519 key"));
  X25519KeyPair pair;
  size_t len = pair.private_key.size();
  if (EVP_PKEY_get_raw_private_key(pkey.get(), pair.private_key.data(), &len) != 1 || len != pair.private_key.size())
    throw std::runtime_error(openssl_error("reading an X25519 private key"));
  pair.public_key = raw_public_key(pkey.get());
  return pair;
}

X25519KeyPair X25519KeyPair::from_private(const X25519Key& private_key) {
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(), private_key.size()));
  if (!pkey) throw std::runtime_error(openssl_error("loading an X25519 private key"));
  return {private_key, raw_public_key(pkey.get())};
}

std::optional<X25519Key> x25519_shared_secret(const X25519Key& private_key, const X25519Key& peer_public) {
  PkeyPtr own(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(), private_key.size()));
  PkeyPtr peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public.data(), peer_public.size()));
  if (!own || !peer) throw std::runtime_error(openssl_error("loading X25519 keys"));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(own.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1)
    throw std::runtime_error(openssl_error("starting an X25519 exchange"));
  X25519Key secret{};
  size_t len = secret.size();
  // OpenSSL refuses to derive an all-zero secret: that failure is the peer's fault, not an error here.
  if (EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 || EVP_PKEY_derive(ctx.get(), secret.data(), &len) != 1 ||
      len != secret.size()) {
    ERR_clear_error();
    cleanse(secret);
    return std::nullopt;
  }
  static const X25519Key kZero{};
  if (CRYPTO_memcmp(secret.data(), kZero.data(), secret.size()) == 0) return std::nullopt;
  return secret;
}

}  // namespace chrysalis::crypto
