// The simulated GPU's evidence goes through the same verifier as NVIDIA's: it verifies only under
// its own root, its FWID is compared (both DICE layouts), and a report stating another FWID fails.
#include <gtest/gtest.h>

#include "sim_gpu_testing.h"

#include <algorithm>
#include <filesystem>

#include "attest/gpu/gpu_verifier.h"
#include "attest/gpu/nvidia_roots.h"
#include "attest/gpu/sim_gpu.h"
#include "attest/quote/quote_crypto.h"

namespace chrysalis::attest::gpu {
namespace {

using testing::sim_ca;
using testing::sim_trust;

GpuVerification check(const SimGpu& gpu, const Bytes& nonce, const GpuTrust& trust = sim_trust()) {
  return verify_gpu_evidence({gpu.report(nonce), gpu.chain_pem()}, nonce, trust, {}, std::chrono::system_clock::now());
}

TEST(SimGpu, ItsEvidenceVerifiesUnderItsOwnRootWithTheFwidCompared) {
  for (DiceLayout layout : {DiceLayout::Hopper, DiceLayout::Blackwell}) {
    SimGpu gpu(sim_ca(), {.dice = layout});
    Bytes nonce(32, 7);
    GpuVerification r = check(gpu, nonce);
    ASSERT_TRUE(r.verified) << r.reason << ": " << r.reason_text;
    EXPECT_EQ(r.chip, "GH100");
    EXPECT_EQ(r.device_id, gpu.device_id());
    EXPECT_EQ(r.fwid_hex, to_hex(gpu.fwid()));
    EXPECT_EQ(r.report->driver_version, "550.54.15");
    EXPECT_EQ(r.report->vbios_version, "96.00.9F.00.04");
    EXPECT_TRUE(std::find(r.checks_not_done.begin(), r.checks_not_done.end(), kCheckFwid) == r.checks_not_done.end())
        << "the report states its FWID, so it was compared";
  }
}

TEST(SimGpu, ItsEvidenceIsRefusedUnderNvidiasRoot) {
  SimGpu gpu(sim_ca());
  Bytes nonce(32, 1);
  EXPECT_EQ(check(gpu, nonce, GpuTrust::nvidia()).reason, gpu_reason::kChainUntrusted);
}

TEST(SimGpu, AReportStatingAnotherFwidThanItsCertificateIsRefused) {
  SimGpu gpu(sim_ca(), {.reported_fwid = Bytes(48, 0xAB)});
  GpuVerification r = check(gpu, Bytes(32, 2));
  EXPECT_EQ(r.reason, gpu_reason::kFwidMismatch) << r.reason_text;
}

TEST(SimGpu, AnotherGpusReportDoesNotVerifyUnderThisOnesChain) {
  SimGpu a(sim_ca()), b(sim_ca());
  Bytes nonce(32, 3);
  GpuVerification r = verify_gpu_evidence({a.report(nonce), b.chain_pem()}, nonce, sim_trust(), {},
                                          std::chrono::system_clock::now());
  EXPECT_EQ(r.reason, gpu_reason::kReportSignature);
}

TEST(SimGpu, TheCaRoundTripsThroughItsFiles) {
  auto dir = std::filesystem::temp_directory_path() / ("sim-gpu-ca-" + std::to_string(::getpid()));
  write_sim_gpu_ca(sim_ca(), dir);
  EXPECT_EQ(std::filesystem::status(dir / kSimGpuRootKeyFile).permissions() & std::filesystem::perms::group_read,
            std::filesystem::perms::none);
  SimGpuCa loaded = load_sim_gpu_ca(dir);
  EXPECT_EQ(loaded.root_pem(), sim_ca().root_pem());
  SimGpu gpu(loaded);
  EXPECT_TRUE(check(gpu, Bytes(32, 4)).verified);
  std::filesystem::remove_all(dir);
  EXPECT_THROW(load_sim_gpu_ca(dir), std::runtime_error);
}

}  // namespace
}  // namespace chrysalis::attest::gpu
