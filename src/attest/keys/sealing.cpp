#include "attest/keys/sealing.h"

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "crypto/openssl_util.h"

namespace chrysalis::attest {
namespace {

constexpr char kMagic[] = "chrysalis-sealed/1";
constexpr std::size_t kMagicLen = sizeof(kMagic) - 1;
constexpr std::size_t kNonceLen = 12, kTagLen = 16;

using CipherCtx = crypto::OsslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using PkeyCtx = crypto::OsslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;

const unsigned char* bytes(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

SealingKey derive_sealing_key(const SealingKey& master, const std::string& role, const std::string& image_hash) {
  PkeyCtx ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
  const std::string salt = "chrysalis-seal/1", info = role + "|" + image_hash;
  SealingKey out{};
  std::size_t len = out.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), bytes(salt), static_cast<int>(salt.size())) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), master.data(), static_cast<int>(master.size())) != 1 ||
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), bytes(info), static_cast<int>(info.size())) != 1 ||
      EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != out.size())
    throw std::runtime_error(crypto::openssl_error("deriving a sealing key"));
  return out;
}

std::string seal(const std::string& plaintext, const SealingKey& key, const std::string& context) {
  unsigned char nonce[kNonceLen];
  if (RAND_bytes(nonce, sizeof nonce) != 1) throw std::runtime_error(crypto::openssl_error("sealing: random nonce"));
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string out(kMagic);
  out.append(reinterpret_cast<const char*>(nonce), kNonceLen);
  std::string cipher(plaintext.size(), '\0');
  int len = 0;
  unsigned char tag[kTagLen];
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(context), static_cast<int>(context.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(cipher.data()), &len, bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), nullptr, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagLen, tag) != 1)
    throw std::runtime_error(crypto::openssl_error("sealing a key"));
  out += cipher;
  out.append(reinterpret_cast<const char*>(tag), kTagLen);
  return out;
}

std::optional<std::string> unseal(const std::string& blob, const SealingKey& key, const std::string& context) {
  if (blob.size() < kMagicLen + kNonceLen + kTagLen || blob.compare(0, kMagicLen, kMagic) != 0) return std::nullopt;
  const std::string nonce = blob.substr(kMagicLen, kNonceLen);
  const std::string cipher = blob.substr(kMagicLen + kNonceLen, blob.size() - kMagicLen - kNonceLen - kTagLen);
  std::string tag = blob.substr(blob.size() - kTagLen);
  std::string plain(cipher.size(), '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), bytes(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(context), static_cast<int>(context.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, bytes(cipher),
                        static_cast<int>(cipher.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagLen, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), nullptr, &len) != 1)
    return std::nullopt;
  return plain;
}

}  // namespace chrysalis::attest
