#pragma once
// RFC 9180 HPKE, base mode, one suite: DHKEM(X25519, HKDF-SHA256) (kem 0x0020), HKDF-SHA256
// (kdf 0x0001), ChaCha20-Poly1305 (aead 0x0003). Built from EVP primitives because OpenSSL 3.0
// has no HPKE API.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "crypto/x25519.h"

namespace chrysalis::crypto {

// DeriveKeyPair(ikm) of RFC 9180 §7.1.3 for X25519.
X25519KeyPair hpke_derive_key_pair(const std::string& ikm);

// A sender or recipient context after SetupBaseS/SetupBaseR. Its secrets are wiped when it is destroyed.
class HpkeContext {
 public:
  // The key schedule's outputs; the setup functions below build contexts through it.
  HpkeContext(std::string key, std::string base_nonce, std::string exporter_secret);
  HpkeContext(const HpkeContext&) = default;
  HpkeContext(HpkeContext&&) = default;
  HpkeContext& operator=(const HpkeContext&) = default;
  HpkeContext& operator=(HpkeContext&&) = default;
  ~HpkeContext();

  // Seals under the current sequence number, then increments it.
  std::string seal(const std::string& aad, const std::string& plaintext);
  // nullopt when the ciphertext does not authenticate; the sequence number moves on success only.
  std::optional<std::string> open(const std::string& aad, const std::string& ciphertext);
  // Export(exporter_context, length) of RFC 9180 §5.3; length is at most 8160.
  std::string export_secret(const std::string& exporter_context, size_t length) const;

  // For tests.
  const std::string& key() const { return key_; }
  const std::string& base_nonce() const { return base_nonce_; }
  const std::string& exporter_secret() const { return exporter_secret_; }
  uint64_t sequence() const { return sequence_; }

 private:
  std::string next_nonce() const;

  std::string key_;
  std::string base_nonce_;
  std::string exporter_secret_;
  uint64_t sequence_ = 0;
};

struct HpkeSenderSetup {
  std::string enc;  // the ephemeral public key, sent to the recipient
  HpkeContext context;
};

// SetupBaseS with a fresh ephemeral key. Throws std::invalid_argument when recipient_public is a
// small-order point (the DH output would be all zero).
HpkeSenderSetup hpke_setup_sender(const X25519Key& recipient_public, const std::string& info);
// For the test vectors only: with a given ephemeral key pair instead of a fresh one.
HpkeSenderSetup hpke_setup_sender_with(const X25519KeyPair& ephemeral, const X25519Key& recipient_public,
                                       const std::string& info);
// SetupBaseR; nullopt when enc is not 32 bytes or the DH fails (all-zero shared secret).
std::optional<HpkeContext> hpke_setup_recipient(const X25519KeyPair& recipient, const std::string& enc,
                                                const std::string& info);

}  // namespace chrysalis::crypto
