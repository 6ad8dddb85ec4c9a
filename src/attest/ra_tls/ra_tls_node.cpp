#include "attest/ra_tls/ra_tls_node.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include "attest/quote/quote_crypto.h"
#include "attest/ra_tls/attested_peer_verifier.h"
#include "attest/ra_tls/evidence_sim.h"
#include "attest/ra_tls/evidence_tdx.h"
#include "common/time.h"

namespace chrysalis::attest {

NodeAttestation::NodeAttestation(boost::asio::any_io_executor ex, std::string role, std::string node_id,
                                 std::string model_hash, const AttestationSettings& settings,
                                 const std::filesystem::path& state_dir)
    : role_(std::move(role)), settings_(settings), timer_(ex) {
  Policy policy = build_policy(settings);
  std::vector<std::string> verifies =
      role_ == "proxy" ? std::vector<std::string>{"worker"} : std::vector<std::string>{"proxy"};
  MeasuredConfig measured = measured_config(role_, policy);
  const bool from_chain = !settings.registry.endpoint.empty();
  warn_about_policy(policy, verifies, from_chain);
  if (from_chain) {
    spdlog::info("attestation: allowed images and models come from root {} at {} (refresh {} s, max age {} s)",
                 settings.registry.root, settings.registry.endpoint, settings.registry.refresh_s,
                 settings.registry.max_age_s);
    chain_policy_ = std::make_shared<ChainPolicySource>(ex, std::move(policy), settings.registry);
    policy_ = chain_policy_;
  } else {
    policy_ = std::make_shared<StaticPolicySource>(std::move(policy));
  }
  std::shared_ptr<EvidenceProvider> evidence;
  if (settings.provider == "tdx") {
    evidence = std::make_shared<TdxEvidence>();
  } else if (settings.provider == "sim") {
    evidence = std::make_shared<SimEvidence>(settings.dev_ca, measured);
    own_image_hash_ = sim_image_hash(measured);
  } else {
    evidence = std::make_shared<NoEvidence>();
    if (role_ != "client")
      spdlog::warn("attestation: provider \"none\" — this {} presents no quote; attesting peers will refuse it", role_);
  }
  rechecks_ = std::make_unique<LivePeerRechecks>(
      ex, policy_, [this](const std::string& peer_role) { return verifier_for(peer_role); },
      std::chrono::seconds(settings.recheck_s));
  if (chain_policy_) chain_policy_->on_change([this] { rechecks_->sweep("registry changed"); });
  RaTlsIdentityOptions options{role_, std::move(node_id), std::move(model_hash), settings.cert_hours, state_dir};
  issuer_ = std::make_unique<RaTlsIdentity>(std::move(evidence), std::move(options));
  identity_ = issuer_->issue();
  spdlog::info("attestation: provider={} trust=[{}] image_hash={} certificate valid until {}", settings.provider,
               fmt::join(policy_->current()->trust_labels, ","), own_image_hash_.empty() ? "-" : own_image_hash_,
               identity_.not_after_unix);
}

NodeAttestation::~NodeAttestation() {
  if (chain_policy_) chain_policy_->on_change(nullptr);  // the source may outlive this node (billing holds it)
}

std::shared_ptr<crypto::PeerVerifier> NodeAttestation::verifier_for(const std::string& peer_role) {
  if (peer_role == "client") return std::make_shared<ClientKeyVerifier>(policy_);
  return std::make_shared<AttestedPeerVerifier>(policy_, peer_role, cache_);
}

void NodeAttestation::watch(const std::shared_ptr<net::Connection>& conn, const std::string& peer_role) {
  rechecks_->watch(conn, peer_role);
}

std::shared_ptr<boost::asio::ssl::context> NodeAttestation::make_context(net::TlsSide side,
                                                                         const std::string& peer_role) {
  auto ctx = net::make_tls_context(identity_, verifier_for(peer_role), side);
  contexts_.push_back(ctx);
  return ctx;
}

net::PowSettings NodeAttestation::listener_pow() const {
  net::PowSettings pow;
  pow.difficulty = settings_.pow_difficulty;
  return pow;
}

net::PowSettings NodeAttestation::dialer_pow() const {
  net::PowSettings pow;
  pow.expect_puzzle = settings_.expect_pow;
  pow.max_solve_difficulty = settings_.pow_max_difficulty;
  return pow;
}

void NodeAttestation::start_renewal() {
  if (chain_policy_) chain_policy_->start();
  rechecks_->start();
  schedule();
}

void NodeAttestation::stop() {
  stopped_ = true;
  timer_.cancel();
  rechecks_->stop();
  if (chain_policy_) {
    chain_policy_->on_change(nullptr);
    chain_policy_->stop();
  }
}

void NodeAttestation::schedule() {
  if (stopped_) return;
  int64_t now = unix_now_us() / 1000000;
  int64_t lifetime = settings_.cert_hours * 3600;
  // Renew when a third of the lifetime is left (at least a minute from now).
  int64_t renew_at = identity_.not_after_unix - lifetime / 3;
  timer_.expires_after(std::chrono::seconds(std::max<int64_t>(renew_at - now, 60)));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    renew();
    schedule();
  });
}

void NodeAttestation::renew() {
  crypto::TlsIdentity fresh;
  try {
    fresh = issuer_->issue();
  } catch (const std::exception& e) {
    last_renewal_error_ = e.what();
    spdlog::error("attestation: renewing the certificate failed, keeping the current one: {}", e.what());
    return;
  }
  auto certs = load_pem_certificates(fresh.cert_pem);
  for (auto& weak : contexts_) {
    auto ctx = weak.lock();
    if (!ctx) continue;
    // SSL objects copy the context's certificate when created: live connections keep theirs.
    if (SSL_CTX_use_certificate(ctx->native_handle(), certs.front().get()) != 1)
      spdlog::error("attestation: installing the renewed certificate failed");
  }
  identity_ = fresh;
  ++renewals_;
  last_renewal_error_.clear();
  spdlog::info("attestation: certificate renewed, valid until {}", identity_.not_after_unix);
}

nlohmann::json NodeAttestation::stats() const {
  return {{"provider", settings_.provider},
          {"trust", policy_->current()->trust_labels},
          {"image_hash", own_image_hash_},
          {"public_key", identity_.public_key_hex},
          {"cert_not_after", identity_.not_after_unix},
          {"renewals", renewals_},
          {"last_renewal_error", last_renewal_error_},
          {"quote_cache", {{"hits", cache_->hits()}, {"misses", cache_->misses()}}},
          {"registry", chain_policy_ ? chain_policy_->stats() : nlohmann::json()},
          {"rechecks", rechecks_->stats()}};
}

}  // namespace chrysalis::attest
