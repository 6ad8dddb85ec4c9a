// RA-TLS certificates checked by AttestedPeerVerifier: a simulated-TEE certificate verifies, and
// each way of cheating (moved quote, wrong role, other model, expired, untrusted root, no quote,
// image not allowed) is refused with the check that caught it named in the reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "attest/quote/dev_ca.h"
#include "attest/quote/quote_crypto.h"
#include "attest/ra_tls/attested_peer_verifier.h"
#include "attest/ra_tls/claims.h"
#include "attest/ra_tls/evidence_sim.h"
#include "attest/ra_tls/evidence_tdx.h"
#include "attest/ra_tls/ra_tls_cert.h"
#include "attest/ra_tls/ra_tls_identity.h"
#include "support/temp_dir.h"

namespace chrysalis::attest {
namespace {

namespace fs = std::filesystem;

const std::string kModelA(64, 'a');
const std::string kModelB(64, 'b');

// One dev CA on disk, and certificates issued by the simulated TEE under it.
struct RaTlsFixture {
  test::TempDir dir{"ratls"};
  fs::path ca_dir = dir / "ca";
  Policy policy;
  RaTlsFixture() {
    write_dev_ca(create_dev_ca(), ca_dir);
    apply_trust_entries(policy, {"dev:" + ca_dir.string()});
  }
  std::string image_of(const std::string& role) const { return sim_image_hash(measure_config(role, policy)); }
  crypto::TlsIdentity issue(const std::string& role, const std::string& model = "", int64_t hours = 6) {
    return issue_measured(role, measure_config(role, policy), model, hours);
  }
  // A certificate whose quote measures `measured` and whose claims report `reported`.
  crypto::TlsIdentity issue_measured(const std::string& role, const MeasuredConfig& measured,
                                     const std::string& model = "", int64_t hours = 6,
                                     std::optional<MeasuredConfig> reported = {}) {
    auto evidence = std::make_shared<SimEvidence>(ca_dir, measured);
    RaTlsIdentity issuer(evidence,
                         {role, role + "-1", model, hours, {}, (reported ? *reported : measured).canonical()});
    return issuer.issue();
  }
  // The verdict of a verifier for `expected_role` peers under `p` (default: this fixture's policy).
  std::string refusal(const std::string& cert_pem, const std::string& expected_role, std::optional<Policy> p = {},
                      AttestedPeerVerifier::Clock clock = nullptr) {
    auto source = std::make_shared<StaticPolicySource>(p ? *p : policy);
    AttestedPeerVerifier verifier(source, expected_role, nullptr, std::move(clock));
    X509Ptr cert(parse_certificate_pem(cert_pem));
    if (!cert) return "unparsable";
    crypto::PeerIdentity id;
    std::string reason;
    return verifier.verify(cert.get(), id, reason) ? "" : reason;
  }
};

std::string raw_key(const std::string& key_pem) {
  PkeyPtr key = load_private_key_pem(key_pem);
  unsigned char raw[32];
  size_t len = sizeof raw;
  EVP_PKEY_get_raw_public_key(key.get(), raw, &len);
  return std::string(reinterpret_cast<char*>(raw), len);
}

TEST(AttestRaTls, SimulatedCertificatesVerifyWithTheirFields) {
  RaTlsFixture f;
  auto worker = f.issue("worker", kModelA);
  auto source = std::make_shared<StaticPolicySource>(f.policy);
  AttestedPeerVerifier verifier(source, "worker");
  X509Ptr cert(parse_certificate_pem(worker.cert_pem));
  crypto::PeerIdentity id;
  std::string reason;
  ASSERT_TRUE(verifier.verify(cert.get(), id, reason)) << reason;
  EXPECT_TRUE(id.attested);
  EXPECT_EQ(id.image_hash, f.image_of("worker"));
  EXPECT_EQ(id.model_hash, kModelA);
  EXPECT_EQ(id.claimed_role, "worker");
  EXPECT_EQ(id.evidence, "tdx-quote");
  EXPECT_EQ(id.public_key_hex, worker.public_key_hex);
  EXPECT_EQ(f.refusal(f.issue("proxy").cert_pem, "proxy"), "");
  // Roles measure differently: a proxy image is not a worker image.
  EXPECT_NE(f.image_of("proxy"), f.image_of("worker"));
}

TEST(AttestRaTls, QuoteMovedToACertificateWithAnotherKeyIsRefused) {
  RaTlsFixture f;
  auto victim = f.issue("proxy");
  X509Ptr victim_cert(parse_certificate_pem(victim.cert_pem));
  auto ext = read_ra_tls_extensions(victim_cert.get());
  ASSERT_TRUE(ext.quote && ext.claims);
  PkeyPtr attacker(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  auto now = std::time(nullptr);
  RaTlsCertificateSpec spec{attacker.get(), *ext.claims, *ext.quote, now - 60, now + 3600, "attacker"};
  // Claims copied verbatim: they name the victim's key.
  EXPECT_NE(f.refusal(make_ra_tls_certificate_pem(spec), "proxy").find("'claims_key'"), std::string::npos);
  // Claims rewritten for the attacker's key: the quote's REPORTDATA no longer matches.
  std::string error;
  auto claims = *decode_claims(*ext.claims, error);
  std::string key = raw_key(private_key_pem(attacker.get()));
  std::copy(key.begin(), key.end(), claims.public_key.begin());
  spec.encoded_claims = encode_claims(claims);
  EXPECT_NE(f.refusal(make_ra_tls_certificate_pem(spec), "proxy").find("'report_data'"), std::string::npos);
}

TEST(AttestRaTls, TheWorkersE2eKeyIsBoundByItsQuote) {
  RaTlsFixture f;
  std::string e2e_key(32, '\x07');
  RaTlsIdentityOptions options{"worker", "worker-1", kModelA, 6, {}, measure_config("worker", f.policy).canonical()};
  options.e2e_public_key = e2e_key;
  RaTlsIdentity issuer(std::make_shared<SimEvidence>(f.ca_dir, measure_config("worker", f.policy)), options);
  auto worker = issuer.issue();
  X509Ptr cert(parse_certificate_pem(worker.cert_pem));
  crypto::PeerIdentity id;
  std::string reason;
  AttestedPeerVerifier verifier(std::make_shared<StaticPolicySource>(f.policy), "worker");
  ASSERT_TRUE(verifier.verify(cert.get(), id, reason)) << reason;
  EXPECT_EQ(id.e2e_public_key, e2e_key) << "what an e2e client seals to";

  // A proxy that swaps in an e2e key of its own breaks the quote's REPORTDATA.
  auto ext = read_ra_tls_extensions(cert.get());
  auto claims = *decode_claims(*ext.claims, reason);
  claims.e2e_public_key = std::string(32, '\x09');
  PkeyPtr key = load_private_key_pem(worker.key_pem);
  auto now = std::time(nullptr);
  RaTlsCertificateSpec spec{key.get(), encode_claims(claims), *ext.quote, now - 60, now + 3600, "worker"};
  EXPECT_NE(f.refusal(make_ra_tls_certificate_pem(spec), "worker").find("'report_data'"), std::string::npos);
  // And an e2e key that is not an X25519 key does not decode.
  claims.e2e_public_key = "short";
  EXPECT_FALSE(decode_claims(encode_claims(claims), reason));
  EXPECT_NE(reason.find("e2e key"), std::string::npos) << reason;
}

TEST(AttestRaTls, ACreationTimeThatIsNoTimeIsRefusedNotOverflowed) {
  // Found by ra_tls_cert_fuzz: a created_unix near INT64_MIN made the age check overflow.
  RaTlsFixture f;
  RaTlsIdentityOptions options{"worker", "worker-1", kModelA, 6, {}, measure_config("worker", f.policy).canonical()};
  RaTlsIdentity issuer(std::make_shared<SimEvidence>(f.ca_dir, measure_config("worker", f.policy)), options);
  auto worker = issuer.issue();
  X509Ptr cert(parse_certificate_pem(worker.cert_pem));
  std::string reason;
  auto claims = *decode_claims(*read_ra_tls_extensions(cert.get()).claims, reason);
  for (int64_t bad : {int64_t{-1}, std::numeric_limits<int64_t>::min() + 1780000000, int64_t{1} << 41}) {
    claims.created_unix = bad;
    EXPECT_FALSE(decode_claims(encode_claims(claims), reason)) << bad;
    EXPECT_NE(reason.find("not a plausible unix time"), std::string::npos) << reason;
  }
  claims.created_unix = static_cast<int64_t>(kMaxCreatedUnix);
  EXPECT_TRUE(decode_claims(encode_claims(claims), reason)) << reason;
}

TEST(AttestRaTls, WrongRoleAndOtherModelAreRefused) {
  RaTlsFixture f;
  auto worker = f.issue("worker", kModelA);
  EXPECT_NE(f.refusal(worker.cert_pem, "proxy").find("'role'"), std::string::npos);
  Policy only_b = f.policy;
  only_b.allowed_models = {kModelB};
  EXPECT_NE(f.refusal(worker.cert_pem, "worker", only_b).find("'model_hash'"), std::string::npos);
  Policy with_a = f.policy;
  with_a.allowed_models = {kModelA, kModelB};
  EXPECT_EQ(f.refusal(worker.cert_pem, "worker", with_a), "");
  // A worker must bind some model.
  EXPECT_NE(f.refusal(f.issue("worker", "").cert_pem, "worker").find("'model_hash'"), std::string::npos);
}

TEST(AttestRaTls, EmptyRegistryListsAdmitNobody) {
  RaTlsFixture f;
  auto worker = f.issue("worker", kModelA);
  EXPECT_EQ(f.refusal(worker.cert_pem, "worker"), "") << "local lists: empty still means any (development)";
  Policy registry = f.policy;
  registry.empty_lists_refuse = true;
  EXPECT_NE(f.refusal(worker.cert_pem, "worker", registry).find("the registry allows no worker image"),
            std::string::npos);
  registry.allowed_worker_images = {f.image_of("worker")};
  EXPECT_NE(f.refusal(worker.cert_pem, "worker", registry).find("the registry allows no model"), std::string::npos);
  registry.allowed_models = {kModelA};
  EXPECT_EQ(f.refusal(worker.cert_pem, "worker", registry), "");
}

TEST(AttestRaTls, ExpiredAndTooOldCertificatesAreRefused) {
  RaTlsFixture f;
  auto proxy = f.issue("proxy", "", 1);
  auto later = [](std::chrono::hours h) { return [h] { return std::chrono::system_clock::now() + h; }; };
  EXPECT_NE(f.refusal(proxy.cert_pem, "proxy", {}, later(std::chrono::hours(2))).find("'validity'"), std::string::npos);
  // Still within notAfter but older than the policy's maximum age.
  auto long_lived = f.issue("proxy", "", 48);
  Policy strict = f.policy;
  strict.max_cert_age_s = 3600;
  EXPECT_NE(f.refusal(long_lived.cert_pem, "proxy", strict, later(std::chrono::hours(3))).find("'cert_age'"),
            std::string::npos);
  EXPECT_EQ(f.refusal(long_lived.cert_pem, "proxy", strict), "");
}

TEST(AttestRaTls, UntrustedRootNoQuoteAndDisallowedImageAreRefused) {
  RaTlsFixture f;
  auto proxy = f.issue("proxy");
  // Another development root: the quote chain ends elsewhere.
  RaTlsFixture other;
  EXPECT_NE(other.refusal(proxy.cert_pem, "proxy").find("'quote'"), std::string::npos);
  // Intel only: a dev quote is refused.
  Policy intel;
  apply_trust_entries(intel, {"intel"});
  EXPECT_NE(f.refusal(proxy.cert_pem, "proxy", intel).find("pck_chain"), std::string::npos);
  // An image that is not in the allow-list.
  Policy pinned = f.policy;
  pinned.allowed_proxy_images = {std::string(64, '0')};
  EXPECT_NE(f.refusal(proxy.cert_pem, "proxy", pinned).find("'image_hash'"), std::string::npos);
  pinned.allowed_proxy_images.insert(f.image_of("proxy"));
  EXPECT_EQ(f.refusal(proxy.cert_pem, "proxy", pinned), "");
  // No quote at all: refused unless the policy says allow_none.
  RaTlsIdentity bare(std::make_shared<NoEvidence>(), {"proxy", "p", "", 6, {}});
  auto none = bare.issue();
  EXPECT_NE(f.refusal(none.cert_pem, "proxy").find("'quote_present'"), std::string::npos);
  Policy lax = f.policy;
  lax.allow_none = true;
  EXPECT_EQ(f.refusal(none.cert_pem, "proxy", lax), "");
}

TEST(AttestRaTls, ChangingTheMeasuredConfigurationChangesTheImageHash) {
  RaTlsFixture f;
  Policy both = f.policy;
  apply_trust_entries(both, {"dev:" + f.ca_dir.string(), "intel"});
  EXPECT_NE(sim_image_hash(measure_config("proxy", f.policy)), sim_image_hash(measure_config("proxy", both)));
  Policy lax = f.policy;
  lax.allow_none = true;
  EXPECT_NE(sim_image_hash(measure_config("proxy", f.policy)), sim_image_hash(measure_config("proxy", lax)));
  // And another binary: measuring a different file changes MRTD and so the hash.
  test::TempDir d{"ratls-bin"};
  fs::path fake = d / "fake-binary";
  { std::ofstream(fake) << "not chrysalis"; }
  EXPECT_NE(sim_image_hash(measure_config("proxy", f.policy)), sim_image_hash(measure_config("proxy", f.policy), fake));
}

// A node's trust configuration is measured into RTMR3 and reported in its claims; a peer that
// reports another configuration than it measured, or one this node would not accept, is refused
// with the field named, before the image allow-list is even consulted.
TEST(AttestRaTls, AReportedConfigurationThatIsNotTheMeasuredOneIsRefused) {
  RaTlsFixture f;
  Policy lax = f.policy;
  lax.allow_none = true;
  // Quote measures allow_none = true; the claims pretend the strict configuration.
  auto liar = f.issue_measured("proxy", measure_config("proxy", lax), "", 6, measure_config("proxy", f.policy));
  EXPECT_NE(f.refusal(liar.cert_pem, "proxy").find("'config_measurement'"), std::string::npos)
      << f.refusal(liar.cert_pem, "proxy");
  EXPECT_EQ(f.refusal(f.issue("proxy").cert_pem, "proxy"), "");
}

TEST(AttestRaTls, APeerThatWouldAdmitUnattestedPeersIsRefusedNamingTheField) {
  RaTlsFixture f;
  Policy lax = f.policy;
  lax.allow_none = true;
  auto open = f.issue_measured("proxy", measure_config("proxy", lax));
  EXPECT_NE(f.refusal(open.cert_pem, "proxy").find("'config.allow_none'"), std::string::npos)
      << f.refusal(open.cert_pem, "proxy");
  // Even when its image hash is on the allow-list: the field check names what is wrong.
  Policy pinned = f.policy;
  pinned.allowed_proxy_images = {sim_image_hash(measure_config("proxy", lax))};
  EXPECT_NE(f.refusal(open.cert_pem, "proxy", pinned).find("'config.allow_none'"), std::string::npos);
  // A verifier that itself allows unattested peers has nothing to object to.
  EXPECT_EQ(f.refusal(open.cert_pem, "proxy", lax), "");
}

TEST(AttestRaTls, APeerTrustingARootWeDoNotIsRefusedNamingTheRoot) {
  RaTlsFixture f;
  test::TempDir other_dir{"ratls-other"};
  write_dev_ca(create_dev_ca(), other_dir / "ca");
  Policy wide = f.policy;
  apply_trust_entries(wide, {"dev:" + f.ca_dir.string(), "dev:" + (other_dir / "ca").string()});
  auto proxy = f.issue_measured("proxy", measure_config("proxy", wide));
  auto refusal = f.refusal(proxy.cert_pem, "proxy");
  EXPECT_NE(refusal.find("'config.trust'"), std::string::npos) << refusal;
  std::string foreign = wide.trust_labels[0] == f.policy.trust_labels[0] ? wide.trust_labels[1] : wide.trust_labels[0];
  EXPECT_NE(refusal.find(foreign), std::string::npos) << refusal;
  // A worker trusting more only risks whom it serves: its configuration is no reason to refuse it.
  EXPECT_EQ(f.refusal(f.issue_measured("worker", measure_config("worker", wide), kModelA).cert_pem, "worker"), "");
}

TEST(AttestRaTls, APeerReadingAnotherRegistryIsRefused) {
  RaTlsFixture f;
  const std::string root_a = "0:" + std::string(64, 'a'), root_b = "0:" + std::string(64, 'b');
  AttestationSettings settings;
  settings.registry.endpoint = "http://127.0.0.1:1/api/v2/jsonRPC";
  settings.registry.root = root_b;
  auto other = measure_config("proxy", settings, f.policy);
  auto cert = f.issue_measured("proxy", other);
  Policy mine = f.policy;
  mine.registry_root = root_a;
  auto refusal = f.refusal(cert.cert_pem, "proxy", mine);
  EXPECT_NE(refusal.find("'config.registry_root'"), std::string::npos) << refusal;
  // A peer with static lists is refused by a registry node too.
  EXPECT_NE(f.refusal(f.issue("proxy").cert_pem, "proxy", mine).find("'config.registry_root'"), std::string::npos);
  mine.registry_root = root_b;
  EXPECT_EQ(f.refusal(cert.cert_pem, "proxy", mine), "");
}

TEST(AttestRaTls, AProxyImageHashCoversItsWorkerAllowList) {
  RaTlsFixture f;
  Policy one = f.policy, other = f.policy;
  one.allowed_worker_images = {std::string(64, '1')};
  other.allowed_worker_images = {std::string(64, '2')};
  EXPECT_NE(sim_image_hash(measure_config("proxy", one)), sim_image_hash(measure_config("proxy", other)));
  // A worker's proxy list is not measured (see measured_config.h): its hash stays.
  EXPECT_EQ(sim_image_hash(measure_config("worker", one)), sim_image_hash(measure_config("worker", other)));
  // Its engine's host is.
  EngineMeasurement remote{"10.0.0.5"};
  EXPECT_NE(sim_image_hash(measure_config("worker", f.policy)),
            sim_image_hash(measure_config("worker", f.policy, &remote)));
}

}  // namespace
}  // namespace chrysalis::attest

namespace chrysalis::attest {
namespace {

TEST(AttestTdxEvidence, OutsideATdTheProviderSaysSoAndPointsAtSim) {
  TdxEvidence tdx("/nonexistent/tsm/report");
  std::array<uint8_t, 64> rd{};
  try {
    tdx.quote(rd);
    FAIL() << "expected an error outside a TD";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("not a TDX guest"), std::string::npos) << what;
    EXPECT_NE(what.find("sim"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace chrysalis::attest
