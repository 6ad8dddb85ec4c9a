// Revocation from the operator's CRL cache: a certificate its issuer's current CRL lists refuses
// the evidence; a missing, expired or foreign-signed CRL leaves the certificate unchecked (listed
// in checks_not_done, refused only where the policy requires revocation); the cache rereads its
// directory when it changes; verified evidence is remembered until the chain or a CRL expires.
#include <gtest/gtest.h>

#include "sim_gpu_testing.h"

#include <algorithm>
#include <fstream>
#include <thread>

#include "attest/gpu/gpu_binding.h"
#include "attest/gpu/gpu_revocation.h"
#include "attest/gpu/gpu_verification_cache.h"
#include "attest/gpu/sim_gpu.h"
#include "attest/quote/quote_crypto.h"
#include "gpu_testdata.h"
#include "support/temp_dir.h"

namespace chrysalis::attest::gpu {
namespace {

using std::chrono::hours;
using Clock = std::chrono::system_clock;

using testing::sim_ca;
using testing::sim_trust;

std::shared_ptr<const CrlSet> crls_of(const std::vector<std::string>& pems) {
  auto set = std::make_shared<CrlSet>();
  for (const auto& pem : pems) {
    auto crl = load_crl({reinterpret_cast<const uint8_t*>(pem.data()), pem.size()});
    set->crls.emplace_back(crl.release(), X509_CRL_free);
  }
  set->version = 1000 + pems.size();
  return set;
}

X509Ptr leaf_of(const SimGpu& gpu) { return std::move(load_pem_certificates(gpu.chain_pem()).front()); }

bool has(const std::vector<std::string>& v, const char* s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(GpuRevocation, ACurrentCrlThatListsTheLeafRefusesTheEvidence) {
  SimGpu gpu(sim_ca());
  Bytes nonce(32, 3);
  auto now = Clock::now();
  auto leaf = leaf_of(gpu);
  auto revoked = crls_of({make_sim_gpu_crl(sim_ca(), {leaf.get()}, now - hours(1), now + hours(24))});
  GpuVerification r = verify_gpu_evidence({gpu.report(nonce), gpu.chain_pem()}, nonce, sim_trust(revoked), {}, now);
  EXPECT_FALSE(r.verified);
  EXPECT_EQ(r.reason, gpu_reason::kCertRevoked);
  EXPECT_NE(r.reason_text.find("was revoked at"), std::string::npos) << r.reason_text;
}

TEST(GpuRevocation, ACurrentCrlThatDoesNotListTheLeafCoversItAndBoundsTheResult) {
  SimGpu gpu(sim_ca());
  Bytes nonce(32, 4);
  auto now = Clock::now();
  auto clean = crls_of({make_sim_gpu_crl(sim_ca(), {}, now - hours(1), now + hours(24))});
  GpuVerification r = verify_gpu_evidence({gpu.report(nonce), gpu.chain_pem()}, nonce, sim_trust(clean), {}, now);
  ASSERT_TRUE(r.verified) << r.reason_text;
  EXPECT_FALSE(has(r.checks_not_done, kCheckRevocation));
  EXPECT_EQ(r.revocation, "CRLs cover 1 of 1 certificates");
  EXPECT_LE(r.valid_until, now + hours(24)) << "a result is good only until the CRL's nextUpdate";
}

TEST(GpuRevocation, MissingExpiredOrForeignCrlsLeaveTheCertificateUnchecked) {
  SimGpu gpu(sim_ca());
  Bytes nonce(32, 5);
  auto now = Clock::now();
  SimGpuCa other = create_sim_gpu_ca();  // same subject name, another key
  struct Case {
    std::shared_ptr<const CrlSet> crls;
    const char* says;
  };
  for (const auto& c : {Case{nullptr, "no CRL cache"}, Case{crls_of({}), "no CRL from"},
                        Case{crls_of({make_sim_gpu_crl(sim_ca(), {}, now - hours(48), now - hours(24))}), "expired at"},
                        Case{crls_of({make_sim_gpu_crl(other, {}, now - hours(1), now + hours(1))}), "not signed by it"}}) {
    GpuVerification r = verify_gpu_evidence({gpu.report(nonce), gpu.chain_pem()}, nonce, sim_trust(c.crls), {}, now);
    ASSERT_TRUE(r.verified) << r.reason_text;
    EXPECT_TRUE(has(r.checks_not_done, kCheckRevocation)) << c.says;
    EXPECT_NE(r.revocation.find(c.says), std::string::npos) << r.revocation;
  }
}

TEST(GpuRevocation, TheRealChainNamesNvidiasCrlUrls) {
  auto urls = crl_urls(testing::real_chain());
  EXPECT_NE(std::find(urls.begin(), urls.end(), "http://crl.ndis.nvidia.com/crl/l2-gh100.crl"), urls.end());
  EXPECT_NE(std::find(urls.begin(), urls.end(), "http://crl.ndis.nvidia.com/crl/l1-root.crl"), urls.end());
}

TEST(GpuRevocation, TheCacheRereadsItsDirectoryAndKeepsTheLastGoodSet) {
  test::TempDir dir("crls");
  auto now = Clock::now();
  CrlCache cache(dir.path(), std::chrono::seconds(0));
  EXPECT_EQ(cache.current()->crls.size(), 0u);
  std::ofstream(dir / "a.crl") << make_sim_gpu_crl(sim_ca(), {}, now - hours(1), now + hours(1));
  EXPECT_EQ(cache.current()->crls.size(), 1u);
  std::ofstream(dir / "notes.txt") << "other files are left alone";
  std::ofstream(dir / "b.crl") << "not a CRL";
  EXPECT_EQ(cache.current()->crls.size(), 1u);
  EXPECT_NE(cache.last_error().find("b.crl is not a CRL"), std::string::npos) << cache.last_error();
  EXPECT_THROW(CrlCache bad(dir.path()), std::runtime_error) << "a bad cache at start is a configuration error";
}

TEST(GpuVerificationCache, RemembersVerifiedEvidenceOnlyForTheSameNonceRootsAndCrls) {
  GpuVerificationCache cache(2);
  SimGpu gpu(sim_ca());
  std::array<uint8_t, 32> nonce{};
  nonce.fill(9);
  GpuEvidence evidence{gpu.report(nonce), gpu.chain_pem()};
  auto now = Clock::now();
  EXPECT_TRUE(cache.verify(evidence, nonce, sim_trust(), now).verified);
  EXPECT_TRUE(cache.verify(evidence, nonce, sim_trust(), now).verified);
  EXPECT_EQ(cache.stats()["hits"], 1);
  std::array<uint8_t, 32> other{};
  EXPECT_EQ(cache.verify(evidence, other, sim_trust(), now).reason, gpu_reason::kNonceMismatch);
  EXPECT_EQ(cache.verify(evidence, nonce, GpuTrust::nvidia(), now).reason, gpu_reason::kChainUntrusted)
      << "another set of roots is another key";
  auto leaf = leaf_of(gpu);
  auto revoked = crls_of({make_sim_gpu_crl(sim_ca(), {leaf.get()}, now - hours(1), now + hours(1))});
  EXPECT_EQ(cache.verify(evidence, nonce, sim_trust(revoked), now).reason, gpu_reason::kCertRevoked)
      << "new CRLs are never answered from the cache";
  EXPECT_EQ(cache.stats()["entries"], 1) << "refusals are not remembered";
}

TEST(GpuRevocation, APolicyThatRequiresRevocationRefusesUncoveredEvidence) {
  test::TempDir dir("crls-policy");
  Claims claims;
  claims.role = "worker";
  claims.public_key.fill(7);
  claims.model_hash = std::string(64, 'b');
  SimGpu gpu(sim_ca());
  std::string evidence = encode_gpu_evidence({{gpu.report(gpu_nonce(claims)), gpu.chain_pem()}});
  claims.gpu_evidence_hash = gpu_evidence_hash(evidence);
  GpuPolicy policy;
  policy.required = true;
  policy.trust = sim_trust();
  policy.crls = std::make_shared<CrlCache>(dir.path(), std::chrono::seconds(0));
  policy.revocation_required = true;
  GpuSummary summary;
  auto refusal = check_worker_gpus(claims, evidence, policy, Clock::now(), summary);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->check, "gpu_revocation");
  auto now = Clock::now();
  std::ofstream(dir / "root.crl") << make_sim_gpu_crl(sim_ca(), {}, now - hours(1), now + hours(1));
  EXPECT_FALSE(check_worker_gpus(claims, evidence, policy, Clock::now(), summary));
}

}  // namespace
}  // namespace chrysalis::attest::gpu
