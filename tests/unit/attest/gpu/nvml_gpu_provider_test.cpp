// The "nvml" provider against tests/tools/fake_nvml.cpp, which answers NVML's calls with the ABI
// the provider declares: it refuses to start without NVML, with CC off, outside production or with
// DevTools on; it passes each GPU the nonce, checks the evidence it got before presenting it (an
// old report replayed by the host is refused), and marks the GPUs ready only after that.
#include <gtest/gtest.h>

#include "sim_gpu_testing.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "attest/gpu/nvml_gpu_provider.h"
#include "attest/gpu/sim_gpu.h"
#include "support/temp_dir.h"

namespace chrysalis::attest::gpu {
namespace {

namespace fs = std::filesystem;

using testing::sim_ca;
using testing::sim_trust;

void put(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }
std::string get(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

class NvmlGpuProviderTest : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("CHRYSALIS_FAKE_NVML_DIR", dir_.path().c_str(), 1); }
  void TearDown() override { ::unsetenv("CHRYSALIS_FAKE_NVML_DIR"); }
  // GPU `i` answers `nonce` with a valid report.
  void install(unsigned i, const SimGpu& gpu, const std::array<uint8_t, 32>& nonce) {
    Bytes report = gpu.report(nonce);
    put(dir_.path() / ("gpu" + std::to_string(i) + ".report"), std::string(report.begin(), report.end()));
    put(dir_.path() / ("gpu" + std::to_string(i) + ".chain"), gpu.chain_pem());
  }
  std::string start_error() {
    try {
      make_nvml_gpu_provider(CHRYSALIS_FAKE_NVML, sim_trust());
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }
  test::TempDir dir_{"nvml"};
};

TEST_F(NvmlGpuProviderTest, CollectsEveryGpusEvidenceForTheNonceAndMarksThemReady) {
  std::array<uint8_t, 32> nonce{};
  nonce.fill(0x5a);
  SimGpu a(sim_ca()), b(sim_ca());
  install(0, a, nonce);
  install(1, b, nonce);
  auto provider = make_nvml_gpu_provider(CHRYSALIS_FAKE_NVML, sim_trust());
  EXPECT_EQ(provider->status()["cc"], "on");
  EXPECT_EQ(provider->status()["ready"], false);
  auto evidence = provider->collect(nonce);
  ASSERT_EQ(evidence.size(), 2u);
  EXPECT_EQ(evidence[1].chain_pem, b.chain_pem());
  EXPECT_EQ(get(dir_.path() / "gpu0.nonce"), std::string(nonce.begin(), nonce.end())) << "the nonce reached NVML";
  EXPECT_EQ(get(dir_.path() / "ready"), "1");
  EXPECT_EQ(provider->status()["ready"], true);
  EXPECT_EQ(provider->status()["gpus"], 2);
}

TEST_F(NvmlGpuProviderTest, AReportForAnotherNonceIsNotPresented) {
  std::array<uint8_t, 32> old_nonce{}, nonce{};
  old_nonce.fill(1);
  nonce.fill(2);
  install(0, SimGpu(sim_ca()), old_nonce);  // what a host replaying an earlier report would hand back
  auto provider = make_nvml_gpu_provider(CHRYSALIS_FAKE_NVML, sim_trust());
  try {
    provider->collect(nonce);
    FAIL() << "a replayed report was presented";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("nonce_mismatch"), std::string::npos) << e.what();
  }
  EXPECT_NE(get(dir_.path() / "ready"), "1") << "GPUs whose evidence failed are not marked ready";
}

TEST_F(NvmlGpuProviderTest, EvidenceOutsideTheTrustedRootsIsNotPresented) {
  std::array<uint8_t, 32> nonce{};
  install(0, SimGpu(sim_ca()), nonce);
  auto provider = make_nvml_gpu_provider(CHRYSALIS_FAKE_NVML, GpuTrust::nvidia());
  EXPECT_THROW(provider->collect(nonce), std::runtime_error);
}

TEST_F(NvmlGpuProviderTest, RefusesToStartUnlessConfidentialComputingIsOnInProductionWithoutDevTools) {
  install(0, SimGpu(sim_ca()), {});
  struct SettingsCase {
    const char* state;
    const char* says;
  };
  for (auto c : {SettingsCase{"2 0 0", "confidential computing is off"}, SettingsCase{"1 1 0", "simulation, not production"},
                 SettingsCase{"2 1 1", "DevTools mode"}}) {
    put(dir_.path() / "state", c.state);
    EXPECT_NE(start_error().find(c.says), std::string::npos) << c.state << ": " << start_error();
  }
  put(dir_.path() / "state", "2 1 0");
  EXPECT_EQ(start_error(), "");
}

TEST_F(NvmlGpuProviderTest, NamesTheMissingLibraryTheFailedCallAndAMachineWithoutGpus) {
  try {
    make_nvml_gpu_provider((dir_.path() / "libnvidia-ml.so.1").string(), sim_trust());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot load"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("NVIDIA driver"), std::string::npos) << e.what();
  }
  EXPECT_NE(start_error().find("no GPU found"), std::string::npos) << start_error();
  install(0, SimGpu(sim_ca()), {});
  put(dir_.path() / "fail", "nvmlInit_v2");
  EXPECT_NE(start_error().find("nvmlInit_v2 failed: Unknown Error"), std::string::npos) << start_error();
  put(dir_.path() / "fail", "nvmlDeviceGetConfComputeGpuCertificate");
  auto provider = make_nvml_gpu_provider(CHRYSALIS_FAKE_NVML, sim_trust());
  try {
    provider->collect({});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("nvmlDeviceGetConfComputeGpuCertificate (GPU 0) failed"), std::string::npos)
        << e.what();
  }
}

TEST_F(NvmlGpuProviderTest, ALibraryWithoutTheConfidentialComputingCallsIsNamed) {
  // libc is a shared library with none of NVML's symbols: like a driver older than R535.
  try {
    make_nvml_gpu_provider("libc.so.6", sim_trust());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("has no nvmlInit_v2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace chrysalis::attest::gpu
