#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attest/policy/policy.h"
#include "attest/ra_tls/attested_peer_verifier_cache.h"
#include "crypto/peer_verifier.h"

namespace chrysalis::attest {

// RA-TLS verification of a peer that must run in a TEE (proxy or worker). In this order, each
// check named in the refusal reason ("attestation check 'NAME' failed: ..."):
//   key_type          the certificate key is Ed25519
//   self_signature    the certificate is validly self-signed
//   validity          now lies within notBefore..notAfter
//   critical_extensions  no critical extension except basicConstraints, keyUsage and ours
//   claims            the claims extension is present and decodes strictly
//   claims_key        claims.public_key == the certificate's key
//   role              claims.role == the role expected on this hop
//   cert_age          claims.created_unix is not in the future and not older than max_cert_age
//   quote_present     a quote is present (or the policy says allow_none)
//   quote             the quote verifies to a trusted root (reason code of verify_quote appended)
//   report_data       the quote's REPORTDATA == SHA-512(claims)
//   mrtd, rtmr        optional measurement constraints
//   image_hash        the image hash is allowed for that role
//   model_hash        (workers) the claimed model hash is allowed
// Quote verification results are cached by SHA-256(quote) (shared cache, honours valid_until).
class AttestedPeerVerifier : public crypto::PeerVerifier {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  AttestedPeerVerifier(std::shared_ptr<PolicySource> policy, std::string expected_role,
                       std::shared_ptr<PeerQuoteCache> cache = nullptr, Clock clock = nullptr);
  bool verify(X509* cert, crypto::PeerIdentity& identity, std::string& reason) override;

 private:
  std::shared_ptr<PolicySource> policy_;
  std::string expected_role_;
  std::shared_ptr<PeerQuoteCache> cache_;
  Clock clock_;
};

// Client certificates (clients run outside TEEs): a valid self-signed Ed25519 certificate,
// optionally only from the policy's pinned client keys.
class ClientKeyVerifier : public crypto::PeerVerifier {
 public:
  explicit ClientKeyVerifier(std::shared_ptr<PolicySource> policy) : policy_(std::move(policy)) {}
  bool verify(X509* cert, crypto::PeerIdentity& identity, std::string& reason) override;

 private:
  std::shared_ptr<PolicySource> policy_;
};

// Accepts a peer that any of `verifiers` accepts (the key broker serves proxies and workers); on
// refusal reports the reason that did not stop at the role check, if any.
class AnyRoleVerifier : public crypto::PeerVerifier {
 public:
  explicit AnyRoleVerifier(std::vector<std::shared_ptr<crypto::PeerVerifier>> verifiers)
      : verifiers_(std::move(verifiers)) {}
  bool verify(X509* cert, crypto::PeerIdentity& identity, std::string& reason) override;

 private:
  std::vector<std::shared_ptr<crypto::PeerVerifier>> verifiers_;
};

// The attestation part of a peer's identity for /stats.
nlohmann::json peer_attestation_json(const crypto::PeerIdentity& identity);

}  // namespace chrysalis::attest
