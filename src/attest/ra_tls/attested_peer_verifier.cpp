#include "attest/ra_tls/attested_peer_verifier.h"

#include <openssl/evp.h>

#include <algorithm>

#include "attest/quote/quote_crypto.h"
#include "attest/ra_tls/claims.h"
#include "attest/ra_tls/measured_config.h"
#include "attest/ra_tls/ra_tls_cert.h"
#include "common/hex.h"

namespace chrysalis::attest {
namespace {

bool fail(std::string& reason, const std::string& check, const std::string& detail) {
  reason = "attestation check '" + check + "' failed: " + detail;
  return false;
}

int64_t seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Tolerated clock difference between peers when checking creation times.
constexpr int64_t kClockSkewS = 300;

}  // namespace

AttestedPeerVerifier::AttestedPeerVerifier(std::shared_ptr<PolicySource> policy, std::string expected_role,
                                           std::shared_ptr<PeerQuoteCache> cache, Clock clock)
    : policy_(std::move(policy)),
      expected_role_(std::move(expected_role)),
      cache_(cache ? std::move(cache) : std::make_shared<PeerQuoteCache>()),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::system_clock::now(); })) {}

bool AttestedPeerVerifier::verify(X509* cert, crypto::PeerIdentity& identity, std::string& reason) {
  identity = crypto::describe_certificate(cert);
  auto policy = policy_->current();
  if (!policy->unavailable.empty()) {
    identity = crypto::describe_certificate(cert);
    return fail(reason, "registry", policy->unavailable);
  }
  auto now = clock_();
  time_t now_t = std::chrono::system_clock::to_time_t(now);

  std::string key = ed25519_public_key(cert);
  if (key.empty()) return fail(reason, "key_type", "certificate key is not Ed25519");
  if (X509_verify(cert, X509_get0_pubkey(cert)) != 1)
    return fail(reason, "self_signature", "certificate is not validly self-signed");
  if (X509_cmp_time(X509_get0_notBefore(cert), &now_t) > 0)
    return fail(reason, "validity", "certificate is not yet valid");
  if (X509_cmp_time(X509_get0_notAfter(cert), &now_t) < 0) return fail(reason, "validity", "certificate has expired");

  RaTlsExtensions ext = read_ra_tls_extensions(cert);
  if (!ext.unknown_critical.empty())
    return fail(reason, "critical_extensions", "unknown critical extension " + ext.unknown_critical.front());
  if (!ext.claims)
    return fail(reason, "claims", "certificate has no claims extension (" + std::string(kClaimsExtensionOid) + ")");
  std::string error;
  auto claims = decode_claims(*ext.claims, error);
  if (!claims) return fail(reason, "claims", error);
  if (std::string(claims->public_key.begin(), claims->public_key.end()) != key)
    return fail(reason, "claims_key",
                "claims name key " + to_hex(claims->public_key) + ", certificate has " + hex_of(key));
  if (claims->role != expected_role_)
    return fail(reason, "role",
                "peer claims role \"" + claims->role + "\", this hop expects \"" + expected_role_ + "\"");
  int64_t now_s = seconds(now);
  if (claims->created_unix > now_s + kClockSkewS)
    return fail(reason, "cert_age",
                "claims were created " + std::to_string(claims->created_unix - now_s) + " s in the future");
  if (claims->created_unix < now_s && now_s - claims->created_unix > policy->max_cert_age_s)
    return fail(reason, "cert_age",
                "certificate is " + std::to_string(now_s - claims->created_unix) + " s old, the policy allows " +
                    std::to_string(policy->max_cert_age_s));
  identity.claimed_role = claims->role;
  identity.model_hash = claims->model_hash;
  identity.e2e_public_key = claims->e2e_public_key;

  if (!ext.quote) {
    if (!policy->allow_none)
      return fail(reason, "quote_present", "certificate carries no quote and the policy does not allow_none");
    identity.evidence = "none";
    identity.tcb_status = "NoQuote";
  } else {
    QuoteVerification v = cache_->verify(*ext.quote, policy->anchors, now);
    if (!v.verified) return fail(reason, "quote", v.reason + ": " + v.reason_text);
    auto expected = claims_report_data(*ext.claims);
    if (!std::equal(expected.begin(), expected.end(), v.quote->body.report_data.begin()))
      return fail(reason, "report_data", "quote REPORTDATA is not SHA-512 of this certificate's claims");
    const auto& body = v.quote->body;
    // The configuration the peer reports must be what its RTMR3 measured, and acceptable to us.
    auto config = parse_reported_config(claims->config, error);
    if (!config) return fail(reason, "config", error);
    if (body.rtmr[3] != rtmr3_for(config->digest()))
      return fail(reason, "config_measurement",
                  "RTMR3 " + to_hex(body.rtmr[3]).substr(0, 16) +
                      "... is not the measurement of the configuration the claims report");
    if (auto refusal = refuse_peer_config(*config, claims->role, *policy))
      return fail(reason, refusal->check, refusal->detail);
    if (!policy->allowed_mrtd.empty() && !policy->allowed_mrtd.count(to_hex(body.mr_td)))
      return fail(reason, "mrtd", "MRTD " + to_hex(body.mr_td) + " is not allowed");
    if (!policy->allowed_rtmr.empty()) {
      std::array<std::string, 4> rtmr;
      for (int i = 0; i < 4; ++i) rtmr[i] = to_hex(body.rtmr[i]);
      if (std::find(policy->allowed_rtmr.begin(), policy->allowed_rtmr.end(), rtmr) == policy->allowed_rtmr.end())
        return fail(reason, "rtmr", "RTMR set " + rtmr[0].substr(0, 16) + "... is not allowed");
    }
    identity.image_hash = to_hex(v.image_hash);
    identity.tcb_status = v.tcb_status;
    identity.evidence = "tdx-quote";
    const auto& images = allowed_images_for(*policy, expected_role_);
    if (images.empty() && policy->empty_lists_refuse)
      return fail(reason, "image_hash", "the registry allows no " + expected_role_ + " image");
    if (!images.empty() && !images.count(identity.image_hash))
      return fail(reason, "image_hash",
                  expected_role_ + " image hash " + identity.image_hash + " is not in the allow-list");
    identity.attested = true;
  }
  if (expected_role_ == "worker") {
    if (claims->model_hash.empty()) return fail(reason, "model_hash", "worker claims no model hash");
    if (policy->allowed_models.empty() && policy->empty_lists_refuse)
      return fail(reason, "model_hash", "the registry allows no model");
    if (!policy->allowed_models.empty() && !policy->allowed_models.count(claims->model_hash))
      return fail(reason, "model_hash", "model hash " + claims->model_hash + " is not in the allow-list");
    gpu::GpuSummary gpus;
    if (auto refusal = gpu::check_worker_gpus(*claims, ext.gpu_evidence, policy->gpu, now, gpus))
      return fail(reason, refusal->check, refusal->detail);
    if (!gpus.unverified.empty()) identity.gpus = "unverified (" + gpus.unverified + ")";
    for (std::size_t i = 0; i < gpus.chips.size(); ++i)
      identity.gpus += (i ? "; " : "") + gpus.chips[i] + " " + gpus.device_ids[i] + " driver " + gpus.drivers[i];
  }
  return true;
}

bool ClientKeyVerifier::verify(X509* cert, crypto::PeerIdentity& identity, std::string& reason) {
  auto policy = policy_->current();
  if (!policy->unavailable.empty()) {
    identity = crypto::describe_certificate(cert);
    return fail(reason, "registry", policy->unavailable);
  }
  crypto::SelfSignedVerifier plain(policy->pinned_client_keys);
  if (!plain.verify(cert, identity, reason)) return false;
  auto ext = read_ra_tls_extensions(cert);
  if (!ext.unknown_critical.empty())
    return fail(reason, "critical_extensions", "unknown critical extension " + ext.unknown_critical.front());
  identity.evidence = ext.quote ? "tdx-quote (not checked: clients authenticate by key)" : "none";
  return true;
}

bool AnyRoleVerifier::verify(X509* cert, crypto::PeerIdentity& identity, std::string& reason) {
  std::string first;
  for (auto& v : verifiers_) {
    std::string why;
    if (v->verify(cert, identity, why)) return true;
    if (first.empty() || why.find("'role'") == std::string::npos) first = why;
  }
  reason = first;
  return false;
}

nlohmann::json peer_attestation_json(const crypto::PeerIdentity& id) {
  return {{"attested", id.attested},
          {"evidence", id.evidence},
          {"role", id.claimed_role},
          {"image_hash", id.image_hash},
          {"tcb_status", id.tcb_status},
          {"model_hash", id.model_hash},
          {"gpus", id.gpus},
          {"cert_not_after", id.not_after_unix}};
}

}  // namespace chrysalis::attest
