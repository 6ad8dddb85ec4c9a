#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "attest/policy/chain_policy_source.h"
#include "attest/policy/policy_config.h"
#include "attest/quote/collateral_store.h"
#include "attest/ra_tls/attested_peer_verifier_cache.h"
#include "attest/ra_tls/live_peer_rechecks.h"
#include "attest/ra_tls/measured_config.h"
#include "attest/ra_tls/ra_tls_identity.h"
#include "crypto/hpke.h"
#include "net/pow_handshake.h"
#include "net/tls_context.h"

namespace chrysalis::attest {

// Everything attestation does for one node: its evidence provider, its policy and the RA-TLS
// certificate it presents (renewed on a timer at 2/3 of its lifetime; the new certificate is
// swapped into every TLS context, so new handshakes use it while established connections stay).
class NodeAttestation {
 public:
  // role: proxy | worker | client | keybroker. Throws std::runtime_error naming a bad setting.
  // `engine`: required for workers (measure_config).
  NodeAttestation(boost::asio::any_io_executor ex, std::string role, std::string node_id, std::string model_hash,
                  const AttestationSettings& settings, const std::filesystem::path& state_dir,
                  const EngineMeasurement* engine = nullptr);
  ~NodeAttestation();

  // A TLS context that presents our certificate and checks peers of `peer_role`:
  // "proxy"/"worker" by RA-TLS (AttestedPeerVerifier), "client" by key (ClientKeyVerifier).
  std::shared_ptr<boost::asio::ssl::context> make_context(net::TlsSide side, const std::string& peer_role);
  // Re-checks a live connection with a peer of `peer_role` against the policy until it closes.
  void watch(const std::shared_ptr<net::Connection>& conn, const std::string& peer_role);
  LivePeerRechecks& rechecks() { return *rechecks_; }
  net::PowSettings listener_pow() const;
  net::PowSettings dialer_pow() const;
  const crypto::TlsIdentity& identity() const { return identity_; }
  // Workers: the X25519 key e2e clients seal request bodies to (in the claims; memory only).
  const crypto::X25519KeyPair* e2e_key() const { return e2e_key_ ? &*e2e_key_ : nullptr; }
  // Checks a certificate handed over by a peer (an e2e client checks the worker the proxy chose)
  // exactly as a TLS handshake with a peer of `peer_role` would. DER; reason names the failed check.
  bool verify_certificate(const std::string& der, const std::string& peer_role, crypto::PeerIdentity& identity,
                          std::string& reason);
  std::string own_image_hash() const { return own_image_hash_; }  // sim only; empty otherwise
  void start_renewal();
  void stop();
  nlohmann::json stats() const;
  // Empty while the node may serve; else why not (a stale or unread registry).
  std::string serving_problem() const { return chain_policy_ ? chain_policy_->unavailable_reason() : ""; }
  std::shared_ptr<ChainPolicySource> chain_policy() const { return chain_policy_; }

  // Renews now (tests and the timer). Keeps the old certificate when issuing fails.
  void renew();

 private:
  void schedule();
  SealingKey sealing_key_from_broker(const std::shared_ptr<EvidenceProvider>& evidence,
                                     const RaTlsIdentityOptions& node);
  std::shared_ptr<crypto::PeerVerifier> verifier_for(const std::string& peer_role);
  bool verify_certificate_uncached(const std::string& der, const std::string& peer_role, crypto::PeerIdentity& identity,
                                   std::string& reason);
  std::string role_;
  AttestationSettings settings_;
  std::shared_ptr<PolicySource> policy_;
  std::shared_ptr<ChainPolicySource> chain_policy_;  // when the registry comes from the chain
  std::shared_ptr<PeerQuoteCache> cache_ = std::make_shared<PeerQuoteCache>();
  // verify_certificate's successes (an e2e client checks the worker of every request): by
  // SHA-256(DER) and role, valid while the policy is the one they were judged under, for at most
  // kVerifiedTtl and never past the certificate's notAfter.
  struct VerifiedCertificate {
    crypto::PeerIdentity identity;
    std::shared_ptr<const Policy> policy;
  };
  static constexpr std::chrono::seconds kVerifiedTtl{30};
  static constexpr std::size_t kVerifiedCapacity = 1024;
  ExpiringLru<VerifiedCertificate> verified_certificates_{kVerifiedCapacity};
  std::shared_ptr<CollateralStore> collateral_;  // when [attestation] collateral_url is set
  void use_collateral(boost::asio::any_io_executor ex, const std::filesystem::path& state_dir);
  void prefetch_own_collateral();
  std::unique_ptr<RaTlsIdentity> issuer_;
  std::unique_ptr<LivePeerRechecks> rechecks_;
  crypto::TlsIdentity identity_;
  std::string own_image_hash_;
  std::optional<crypto::X25519KeyPair> e2e_key_;
  MeasuredConfig measured_;
  std::vector<std::weak_ptr<boost::asio::ssl::context>> contexts_;
  boost::asio::steady_timer timer_;
  uint64_t renewals_ = 0;
  std::string last_renewal_error_;
  bool stopped_ = false;
};

}  // namespace chrysalis::attest
