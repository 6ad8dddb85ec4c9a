#include "crypto/chacha20_poly1305.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <climits>
#include <stdexcept>

#include "crypto/cleanse.h"
#include "crypto/openssl_util.h"

namespace chrysalis::crypto {
namespace {

using CipherCtxPtr = OsslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

// EVP takes int lengths.
int checked_length(std::string_view s) {
  if (s.size() > static_cast<std::size_t>(INT_MAX - static_cast<int>(kChaChaTagSize)))
    throw std::invalid_argument("ChaCha20-Poly1305 input is too large");
  return static_cast<int>(s.size());
}

void check_key_and_nonce(std::string_view key, std::string_view nonce) {
  if (key.size() != kChaChaKeySize) throw std::invalid_argument("ChaCha20-Poly1305 key must be 32 bytes");
  if (nonce.size() != kChaChaNonceSize) throw std::invalid_argument("ChaCha20-Poly1305 nonce must be 12 bytes");
}

// The cipher, fetched from the provider once (EVP_chacha20_poly1305() would look it up on every
// init), and one context per thread and direction, re-keyed for each message: an e2e answer opens
// one record per event, and a fresh context per record cost the client 8% of its CPU.
const EVP_CIPHER* cipher() {
  static const EVP_CIPHER* fetched = [] {
    EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
    if (!c) throw std::runtime_error(openssl_error("fetching ChaCha20-Poly1305"));
    return c;  // kept for the process's life
  }();
  return fetched;
}

EVP_CIPHER_CTX* thread_context(bool encrypt) {
  thread_local CipherCtxPtr sealing(EVP_CIPHER_CTX_new()), opening(EVP_CIPHER_CTX_new());
  EVP_CIPHER_CTX* ctx = encrypt ? sealing.get() : opening.get();
  if (!ctx) throw std::runtime_error(openssl_error("allocating a ChaCha20-Poly1305 context"));
  return ctx;
}

// This thread's context keyed for one message, its AAD already fed in.
EVP_CIPHER_CTX* start(bool encrypt, std::string_view key, std::string_view nonce, std::string_view aad) {
  check_key_and_nonce(key, nonce);
  EVP_CIPHER_CTX* ctx = thread_context(encrypt);
  if (EVP_CipherInit_ex2(ctx, cipher(), bytes(key), bytes(nonce), encrypt ? 1 : 0, nullptr) != 1)
    throw std::runtime_error(openssl_error("starting ChaCha20-Poly1305"));
  int len = 0;
  if (!aad.empty() && EVP_CipherUpdate(ctx, nullptr, &len, bytes(aad), checked_length(aad)) != 1)
    throw std::runtime_error(openssl_error("feeding ChaCha20-Poly1305 associated data"));
  return ctx;
}

}  // namespace

std::string chacha20_poly1305_seal(std::string_view key, std::string_view nonce, std::string_view aad,
                                   std::string_view plaintext) {
  EVP_CIPHER_CTX* ctx = start(true, key, nonce, aad);
  std::string out(plaintext.size() + kChaChaTagSize, '\0');
  int len = 0, final_len = 0;
  if (!plaintext.empty() &&
      EVP_EncryptUpdate(ctx, bytes(out), &len, bytes(plaintext), checked_length(plaintext)) != 1)
    throw std::runtime_error(openssl_error("ChaCha20-Poly1305 encryption"));
  if (EVP_EncryptFinal_ex(ctx, bytes(out) + len, &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kChaChaTagSize, bytes(out) + plaintext.size()) != 1)
    throw std::runtime_error(openssl_error("ChaCha20-Poly1305 tag"));
  return out;
}

std::optional<std::string> chacha20_poly1305_open(std::string_view key, std::string_view nonce, std::string_view aad,
                                                  std::string_view ciphertext) {
  check_key_and_nonce(key, nonce);
  if (ciphertext.size() < kChaChaTagSize) return std::nullopt;
  std::string_view body = ciphertext.substr(0, ciphertext.size() - kChaChaTagSize);
  std::string tag(ciphertext.substr(body.size()));
  EVP_CIPHER_CTX* ctx = start(false, key, nonce, aad);
  std::string out(body.size(), '\0');
  int len = 0, final_len = 0;
  if (!body.empty() && EVP_DecryptUpdate(ctx, bytes(out), &len, bytes(body), checked_length(body)) != 1)
    throw std::runtime_error(openssl_error("ChaCha20-Poly1305 decryption"));
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kChaChaTagSize, bytes(tag)) != 1)
    throw std::runtime_error(openssl_error("ChaCha20-Poly1305 tag"));
  if (EVP_DecryptFinal_ex(ctx, bytes(out) + len, &final_len) != 1) {
    // A forged or damaged message: expected, so it leaves nothing on OpenSSL's error queue.
    ERR_clear_error();
    cleanse(out);
    return std::nullopt;
  }
  return out;
}

std::string nonce_for_sequence(std::string_view base_nonce, uint64_t sequence) {
  if (base_nonce.size() != kChaChaNonceSize) throw std::invalid_argument("base nonce must be 12 bytes");
  std::string nonce(base_nonce);
  for (std::size_t i = 0; i < 8; ++i)
    nonce[kChaChaNonceSize - 1 - i] =
        static_cast<char>(nonce[kChaChaNonceSize - 1 - i] ^ ((sequence >> (8 * i)) & 0xff));
  return nonce;
}

}  // namespace chrysalis::crypto
