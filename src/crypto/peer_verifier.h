#pragma once
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>

namespace chrysalis::crypto {

struct PeerIdentity {
  std::string public_key_hex;
  std::string common_name;
  int64_t not_after_unix = 0;
  // Filled by attesting verifiers (attest/ra_tls/attested_peer_verifier.h); empty for plain TLS peers.
  bool attested = false;
  std::string claimed_role;
  std::string image_hash;
  std::string tcb_status;
  std::string model_hash;
  std::string evidence;        // "tdx-quote" | "none"
  std::string e2e_public_key;  // workers: the X25519 key (raw) their claims bind, for e2e clients
  std::string gpus;            // workers: the GPUs their evidence proved ("GH100 SIM1234… driver 550.54.15; …")
};

// Decides whether a peer's certificate is acceptable. The attestation layer plugs in here:
// one call per handshake, a reason on refusal (logged by the caller, the peer gets a TLS alert).
class PeerVerifier {
 public:
  virtual ~PeerVerifier() = default;
  virtual bool verify(X509* cert, PeerIdentity& identity, std::string& reason) = 0;
};

// Accepts a self-signed Ed25519 certificate within its validity window; optionally only
// from a pinned set of public keys.
class SelfSignedVerifier : public PeerVerifier {
 public:
  explicit SelfSignedVerifier(std::set<std::string> pinned_keys_hex = {}) : pinned_(std::move(pinned_keys_hex)) {}
  bool verify(X509* cert, PeerIdentity& identity, std::string& reason) override;

 private:
  std::set<std::string> pinned_;
};

// Reads the identity fields of a certificate (no checks).
PeerIdentity describe_certificate(X509* cert);

}  // namespace chrysalis::crypto
