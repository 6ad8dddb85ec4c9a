// GPU evidence bound into a worker's claims: the nonce comes from the claims, the claims carry the
// evidence's hash, and a hop's policy decides what it accepts. Evidence moved to another worker,
// swapped in a certificate or from a GPU outside the policy is refused with the check named.
#include <gtest/gtest.h>

#include <filesystem>

#include "attest/gpu/gpu_binding.h"
#include "attest/gpu/sim_gpu.h"
#include "attest/gpu/sim_gpu_provider.h"
#include "attest/quote/quote_crypto.h"

namespace chrysalis::attest::gpu {
namespace {

class GpuBindingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() / ("gpu-binding-" + std::to_string(::getpid()));
    write_sim_gpu_ca(create_sim_gpu_ca(), dir_);
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  static Claims worker_claims(uint8_t key_byte = 1) {
    Claims c;
    c.role = "worker";
    c.public_key.fill(key_byte);
    c.created_unix = 1'800'000'000;
    c.model_hash = std::string(64, 'a');
    c.node_id = "w1";
    return c;
  }

  // A worker's claims with the evidence of `count` simulated GPUs bound in, and that evidence.
  static std::string bind(Claims& claims, unsigned count = 1) {
    auto provider = make_sim_gpu_provider(dir_.string(), count);
    std::string evidence = encode_gpu_evidence(provider->collect(gpu_nonce(claims)));
    claims.gpu_evidence_hash = gpu_evidence_hash(evidence);
    return evidence;
  }

  static GpuPolicy sim_policy() {
    GpuPolicy p;
    p.required = true;
    p.trust.device = TrustAnchors::from_pem_file(dir_ / kSimGpuRootCertFile);
    return p;
  }

  static std::optional<std::string> check(const Claims& claims, const std::optional<std::string>& ext,
                                          const GpuPolicy& policy, GpuSummary* out = nullptr) {
    GpuSummary summary;
    auto refusal = check_worker_gpus(claims, ext, policy, std::chrono::system_clock::now(), summary);
    if (out) *out = summary;
    if (!refusal) return std::nullopt;
    EXPECT_FALSE(refusal->detail.empty());
    return refusal->check;
  }

  static inline std::filesystem::path dir_;
};

TEST_F(GpuBindingTest, BoundEvidenceIsAcceptedAndSummarised) {
  Claims claims = worker_claims();
  std::string evidence = bind(claims, 2);
  GpuSummary summary;
  EXPECT_EQ(check(claims, evidence, sim_policy(), &summary), std::nullopt);
  ASSERT_EQ(summary.chips.size(), 2u);
  EXPECT_EQ(summary.chips[0], "GH100");
  EXPECT_NE(summary.device_ids[0], summary.device_ids[1]);
  EXPECT_EQ(summary.drivers[0], "550.54.15");
}

TEST_F(GpuBindingTest, TheNonceNamesTheWorkerButNotTheEvidenceHash) {
  Claims a = worker_claims(1), b = worker_claims(2);
  EXPECT_NE(gpu_nonce(a), gpu_nonce(b));
  Claims role = worker_claims(1);
  role.model_hash = std::string(64, 'b');
  EXPECT_NE(gpu_nonce(a), gpu_nonce(role));
  Claims hashed = a;
  hashed.gpu_evidence_hash = std::string(32, 'x');
  EXPECT_EQ(gpu_nonce(a), gpu_nonce(hashed));
}

TEST_F(GpuBindingTest, WithoutEvidenceAWorkerPassesOnlyWhenNotRequired) {
  GpuPolicy policy = sim_policy();
  EXPECT_EQ(check(worker_claims(), std::nullopt, policy), "gpu_evidence");
  policy.required = false;
  EXPECT_EQ(check(worker_claims(), std::nullopt, policy), std::nullopt);
}

TEST_F(GpuBindingTest, AHopThatDoesNotRequireGpusAcceptsEvidenceItCannotCheckButDoesNotListIt) {
  Claims claims = worker_claims();
  std::string evidence = bind(claims);
  GpuPolicy nvidia_only;  // not required, NVIDIA's root only
  GpuSummary summary;
  EXPECT_EQ(check(claims, evidence, nvidia_only, &summary), std::nullopt);
  EXPECT_TRUE(summary.chips.empty());
  EXPECT_NE(summary.unverified.find("gpu_chain_untrusted"), std::string::npos) << summary.unverified;
}

TEST_F(GpuBindingTest, EvidenceNotBoundByTheClaimsIsRefused) {
  Claims claims = worker_claims();
  std::string evidence = bind(claims);
  Claims unbound = claims;
  unbound.gpu_evidence_hash.clear();
  EXPECT_EQ(check(unbound, evidence, sim_policy()), "gpu_binding") << "evidence the claims do not name";
  EXPECT_EQ(check(claims, std::nullopt, sim_policy()), "gpu_binding") << "claims naming evidence that is not there";
  Claims other = worker_claims();
  std::string swapped = bind(other);  // another certificate's evidence
  EXPECT_EQ(check(claims, swapped, sim_policy()), "gpu_binding");
}

TEST_F(GpuBindingTest, EvidenceCopiedFromAnotherWorkerFailsItsNonce) {
  Claims victim = worker_claims(1);
  std::string evidence = bind(victim);
  Claims thief = worker_claims(2);
  thief.gpu_evidence_hash = gpu_evidence_hash(evidence);  // the thief binds the copied evidence honestly
  EXPECT_EQ(check(thief, evidence, sim_policy()), "gpu_report");
}

TEST_F(GpuBindingTest, ThePolicyDecidesRootsChipsDriversAndCount) {
  Claims claims = worker_claims();
  std::string evidence = bind(claims);
  GpuPolicy nvidia_only;
  nvidia_only.required = true;
  EXPECT_EQ(check(claims, evidence, nvidia_only), "gpu_report") << "NVIDIA's root only: a simulated GPU is refused";
  GpuPolicy chips = sim_policy();
  chips.chips = {"GB100"};
  EXPECT_EQ(check(claims, evidence, chips), "gpu_chip");
  chips.chips = {"GH100"};
  EXPECT_EQ(check(claims, evidence, chips), std::nullopt);
  GpuPolicy drivers = sim_policy();
  drivers.drivers = {"560.00"};
  EXPECT_EQ(check(claims, evidence, drivers), "gpu_driver");
  GpuPolicy count = sim_policy();
  count.required = true;
  count.min_count = 2;
  EXPECT_EQ(check(claims, evidence, count), "gpu_count");
}

TEST_F(GpuBindingTest, TheEncodingIsStrict) {
  std::string error;
  Claims claims = worker_claims();
  std::string evidence = bind(claims);
  ASSERT_TRUE(decode_gpu_evidence(evidence, error)) << error;
  for (std::size_t cut : {std::size_t{0}, std::size_t{10}, evidence.size() / 2, evidence.size() - 1})
    EXPECT_FALSE(decode_gpu_evidence(evidence.substr(0, cut), error)) << cut;
  EXPECT_FALSE(decode_gpu_evidence(evidence + "x", error));
  EXPECT_NE(error.find("trailing"), std::string::npos);
  std::string none = evidence.substr(0, 24) + std::string(1, '\0');
  EXPECT_FALSE(decode_gpu_evidence(none, error));
  EXPECT_THROW(encode_gpu_evidence(std::vector<GpuEvidence>(kMaxGpus + 1)), std::invalid_argument);
}

}  // namespace
}  // namespace chrysalis::attest::gpu
