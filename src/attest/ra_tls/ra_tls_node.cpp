#include "attest/ra_tls/ra_tls_node.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "attest/gpu/gpu_verification_cache.h"
#include "attest/gpu/nvml_gpu_provider.h"
#include "attest/gpu/sim_gpu_provider.h"
#include "attest/keys/keybroker_client.h"
#include "attest/quote/quote_crypto.h"
#include "attest/ra_tls/attested_peer_verifier.h"
#include "attest/ra_tls/evidence_sim.h"
#include "attest/ra_tls/evidence_tdx.h"
#include "attest/ra_tls/ra_tls_cert.h"
#include "attest/ra_tls/rtmr_extend.h"
#include "common/file_io.h"
#include "common/hex.h"
#include "common/time.h"
#include "crypto/sha256.h"
#include "http/http_client.h"

namespace chrysalis::attest {

namespace {

// Where this node keeps its key (ra_tls_identity.h): sealed by the broker when it has one; a TEE
// node without one keeps it in memory only (a real TD may not run that way: its TON contracts
// would be lost with the key); nodes outside a TEE keep key.pem.
KeyStorage key_storage(const std::string& role, const AttestationSettings& settings) {
  if (settings.provider == "none") return KeyStorage::PlaintextFile;
  if (!settings.key_broker.empty()) return KeyStorage::Sealed;
  if (role == "keybroker") return KeyStorage::Ephemeral;  // the broker is known by its image, not its key
  if (settings.provider == "tdx")
    throw std::runtime_error(
        "'keys.broker' is required with provider \"tdx\": a node in a real TD keeps its key "
        "only sealed by a key broker, never in plaintext on the host's disk");
  spdlog::warn(
      "attestation: no key broker ([keys] broker): this {}'s key lives in memory only and changes at each "
      "start (its books and contracts do not survive a restart)",
      role);
  return KeyStorage::Ephemeral;
}

}  // namespace

SealingKey NodeAttestation::sealing_key_from_broker(const std::shared_ptr<EvidenceProvider>& evidence,
                                                    const RaTlsIdentityOptions& node) {
  // A throwaway key with a fresh quote of this image: the broker learns nothing it could reuse.
  RaTlsIdentityOptions once = node;
  once.state_dir.clear();
  once.storage = KeyStorage::Ephemeral;
  once.cert_hours = 1;
  auto identity = RaTlsIdentity(evidence, once).issue();
  // The broker's allow-list is always this node's own (never the registry's, which is not read yet).
  auto verifier = std::make_shared<AttestedPeerVerifier>(std::make_shared<StaticPolicySource>(build_policy(settings_)),
                                                         "keybroker", cache_);
  std::string last_error;
  // The broker may be starting at the same moment: retry for a while before giving up.
  for (int attempt = 0; attempt < 10; ++attempt) {
    try {
      auto key = fetch_sealing_key(settings_.key_broker, identity, verifier, std::chrono::seconds(10));
      spdlog::info("attestation: sealing key received from key broker {}", settings_.key_broker);
      return key;
    } catch (const std::exception& e) {
      last_error = e.what();
      spdlog::warn("attestation: {} (attempt {})", last_error, attempt + 1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300 * (attempt + 1)));
  }
  throw std::runtime_error("no sealing key: " + last_error);
}

NodeAttestation::NodeAttestation(boost::asio::any_io_executor ex, std::string role, std::string node_id,
                                 std::string model_hash, const AttestationSettings& settings,
                                 const std::filesystem::path& state_dir, const EngineMeasurement* engine)
    : role_(std::move(role)), settings_(settings), timer_(ex) {
  refuse_unsafe_config_on_real_td(settings);
  Policy policy = build_policy(settings);
  std::vector<std::string> verifies =
      role_ == "proxy" ? std::vector<std::string>{"worker"} : std::vector<std::string>{"proxy"};
  static const EngineMeasurement embedded{"127.0.0.1"};  // a worker that names none (tests)
  measured_ = measure_config(role_, settings, policy, engine ? engine : &embedded);
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
    // Before the first quote: every quote of this TD then carries the configuration in RTMR3.
    measure_config_into_rtmr3(measured_.digest());
    evidence = std::make_shared<TdxEvidence>();
  } else if (settings.provider == "sim") {
    evidence = std::make_shared<SimEvidence>(settings.dev_ca, measured_);
    own_image_hash_ = sim_image_hash(measured_);
  } else {
    evidence = std::make_shared<NoEvidence>();
    if (role_ != "client")
      spdlog::warn("attestation: provider \"none\" — this {} presents no quote; attesting peers will refuse it", role_);
  }
  if (!settings.collateral_url.empty()) use_collateral(ex, state_dir);
  rechecks_ = std::make_unique<LivePeerRechecks>(
      ex, policy_, [this](const std::string& peer_role) { return verifier_for(peer_role); },
      std::chrono::seconds(settings.recheck_s));
  if (chain_policy_) chain_policy_->on_change([this] { rechecks_->sweep("registry changed"); });
  RaTlsIdentityOptions options{role_, std::move(node_id), std::move(model_hash), settings.cert_hours, state_dir};
  if (settings.provider != "none") options.config = measured_.canonical();
  options.storage = key_storage(role_, settings);
  if (options.storage == KeyStorage::Sealed) options.sealing_key = sealing_key_from_broker(evidence, options);
  if (role_ == "worker") {
    e2e_key_ = crypto::X25519KeyPair::generate();
    options.e2e_public_key.assign(e2e_key_->public_key.begin(), e2e_key_->public_key.end());
  }
  if (settings.gpu != "none") {
    if (role_ != "worker") throw std::runtime_error("attestation.gpu: only a worker presents GPU evidence");
    if (settings.gpu == "nvml") {
      options.gpu = gpu::make_nvml_gpu_provider(settings.gpu_nvml_library, policy_->current()->gpu.trust);
      spdlog::info("attestation: GPU evidence from NVML: {}", options.gpu->status().dump());
    } else {
      options.gpu = gpu::make_sim_gpu_provider(settings.gpu_sim_ca.string(), settings.gpu_count);
      spdlog::warn("attestation: {} SIMULATED GPU(s) under {} — evidence for development only", settings.gpu_count,
                   settings.gpu_sim_ca.string());
    }
  }
  issuer_ = std::make_unique<RaTlsIdentity>(std::move(evidence), std::move(options));
  identity_ = issuer_->issue();
  if (collateral_) prefetch_own_collateral();
  spdlog::info("attestation: provider={} trust=[{}] image_hash={} certificate valid until {}", settings.provider,
               fmt::join(policy_->current()->trust_labels, ","), own_image_hash_.empty() ? "-" : own_image_hash_,
               identity_.not_after_unix);
}

// Peers' quotes are checked against collateral kept fresh from the PCS/PCCS; a refreshed bundle
// (a revocation, a downgrade) reaches live connections through their periodic re-check.
void NodeAttestation::use_collateral(boost::asio::any_io_executor ex, const std::filesystem::path& state_dir) {
  if (!settings_.collateral_ca.empty()) {
    std::string pem = read_file(settings_.collateral_ca);
    if (pem.empty())
      throw std::runtime_error("attestation.collateral_ca: cannot read " + settings_.collateral_ca.string());
    http::trust_client_ca(pem);
  }
  PcsSettings pcs{settings_.collateral_url, settings_.collateral_root_crl_url};
  collateral_ = std::make_shared<CollateralStore>(ex, pcs, state_dir.empty() ? "" : state_dir / "collateral",
                                                  std::chrono::seconds(settings_.collateral_refresh_s));
  cache_->use_collateral(collateral_, {settings_.accepted_tcb_statuses.begin(), settings_.accepted_tcb_statuses.end()});
  collateral_->start();
  spdlog::info("attestation: collateral from {} (refreshed every {} s); accepted TCB statuses: {}", pcs.url,
               settings_.collateral_refresh_s, fmt::join(settings_.accepted_tcb_statuses, ", "));
}

// Peers usually run on the same kind of platform as this node: its own collateral is fetched at
// once, so the first peers are not refused while it arrives.
void NodeAttestation::prefetch_own_collateral() {
  try {
    auto cert = load_pem_certificates(identity_.cert_pem);
    if (cert.empty()) return;
    auto ext = read_ra_tls_extensions(cert.front().get());
    if (!ext.quote) return;
    std::span<const uint8_t> quote(reinterpret_cast<const uint8_t*>(ext.quote->data()), ext.quote->size());
    auto own = verify_quote(quote, policy_->current()->anchors, nullptr, std::chrono::system_clock::now());
    if (own.pck) collateral_->get(to_hex(own.pck->fmspc), own.pck_ca);
  } catch (const std::exception& e) {
    spdlog::warn("attestation: own platform's collateral not prefetched: {}", e.what());
  }
}

NodeAttestation::~NodeAttestation() {
  if (chain_policy_) chain_policy_->on_change(nullptr);  // the source may outlive this node (billing holds it)
}

std::shared_ptr<crypto::PeerVerifier> NodeAttestation::verifier_for(const std::string& peer_role) {
  if (peer_role == "client") return std::make_shared<ClientKeyVerifier>(policy_);
  if (peer_role == "node")  // the key broker: any attested proxy or worker
    return std::make_shared<AnyRoleVerifier>(std::vector<std::shared_ptr<crypto::PeerVerifier>>{
        std::make_shared<AttestedPeerVerifier>(policy_, "proxy", cache_),
        std::make_shared<AttestedPeerVerifier>(policy_, "worker", cache_)});
  return std::make_shared<AttestedPeerVerifier>(policy_, peer_role, cache_);
}

bool NodeAttestation::verify_certificate(const std::string& der, const std::string& peer_role,
                                         crypto::PeerIdentity& identity, std::string& reason) {
  auto now = std::chrono::system_clock::now();
  auto policy = policy_->current();
  std::string key = crypto::sha256(der) + peer_role;
  if (auto hit = verified_certificates_.get(key, now); hit && hit->policy == policy) {
    identity = hit->identity;
    return true;
  }
  bool ok = verify_certificate_uncached(der, peer_role, identity, reason);
  if (ok) {
    // Compared in seconds: a far-future notAfter (9999) does not fit a time_point in nanoseconds.
    auto valid_until = now + kVerifiedTtl;
    if (identity.not_after_unix < std::chrono::system_clock::to_time_t(valid_until))
      valid_until = std::chrono::system_clock::from_time_t(
          static_cast<std::time_t>(std::max<int64_t>(identity.not_after_unix, 0)));
    if (valid_until > now) verified_certificates_.put(key, {identity, policy}, valid_until);
  }
  return ok;
}

bool NodeAttestation::verify_certificate_uncached(const std::string& der, const std::string& peer_role,
                                                  crypto::PeerIdentity& identity, std::string& reason) {
  X509Ptr cert;
  try {
    cert = load_der_certificate({reinterpret_cast<const uint8_t*>(der.data()), der.size()});
  } catch (const std::exception& e) {
    reason = std::string("the certificate does not parse: ") + e.what();
    return false;
  }
  return verifier_for(peer_role)->verify(cert.get(), identity, reason);
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
  if (collateral_) collateral_->stop();
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
          {"config_digest", to_hex(measured_.digest())},
          {"measured_config", measured_.measured},
          {"public_key", identity_.public_key_hex},
          {"cert_not_after", identity_.not_after_unix},
          {"renewals", renewals_},
          {"last_renewal_error", last_renewal_error_},
          {"quote_cache", {{"hits", cache_->hits()}, {"misses", cache_->misses()}}},
          {"certificate_cache",
           {{"hits", verified_certificates_.hits()},
            {"misses", verified_certificates_.misses()},
            {"capacity", kVerifiedCapacity},
            {"ttl_s", kVerifiedTtl.count()}}},
          {"collateral", collateral_ ? collateral_->stats() : nlohmann::json()},
          {"gpu",
           {{"presents", settings_.gpu},
            {"provider", issuer_->options().gpu ? issuer_->options().gpu->status() : nlohmann::json()},
            {"count", settings_.gpu == "none" ? 0u : settings_.gpu_count},
            {"required_of_workers", policy_->current()->gpu.required},
            {"trust", policy_->current()->gpu.trust_labels},
            {"chips", policy_->current()->gpu.chips},
            {"drivers", policy_->current()->gpu.drivers},
            {"min_count", policy_->current()->gpu.min_count},
            {"revocation",
             {{"crls", policy_->current()->gpu.crls ? policy_->current()->gpu.crls->dir().string() : ""},
              {"loaded", policy_->current()->gpu.crls ? policy_->current()->gpu.crls->current()->crls.size() : 0},
              {"error", policy_->current()->gpu.crls ? policy_->current()->gpu.crls->last_error() : ""},
              {"required", policy_->current()->gpu.revocation_required}}},
            {"verification_cache", gpu::shared_gpu_verification_cache().stats()}}},
          {"registry", chain_policy_ ? chain_policy_->stats() : nlohmann::json()},
          {"rechecks", rechecks_->stats()}};
}

}  // namespace chrysalis::attest
