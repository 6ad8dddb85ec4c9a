#include "attest/gpu/sim_gpu_provider.h"

#include <mutex>
#include <vector>

#include "attest/gpu/sim_gpu.h"

namespace chrysalis::attest::gpu {

namespace {

class SimGpuProvider final : public GpuEvidenceProvider {
 public:
  SimGpuProvider(const std::string& ca_dir, unsigned count) {
    SimGpuCa ca = load_sim_gpu_ca(ca_dir);
    for (unsigned i = 0; i < count; ++i) gpus_.emplace_back(ca);
  }
  std::string kind() const override { return "sim"; }
  std::vector<GpuEvidence> collect(const std::array<uint8_t, 32>& nonce) override {
    std::lock_guard lock(mutex_);
    std::vector<GpuEvidence> out;
    for (const auto& gpu : gpus_) out.push_back({gpu.report(nonce), gpu.chain_pem()});
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<SimGpu> gpus_;
};

}  // namespace

std::unique_ptr<GpuEvidenceProvider> make_sim_gpu_provider(const std::string& ca_dir, unsigned count) {
  return std::make_unique<SimGpuProvider>(ca_dir, count);
}

}  // namespace chrysalis::attest::gpu
