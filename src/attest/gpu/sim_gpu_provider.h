#pragma once
// The "sim" GPU evidence provider: simulated GPUs (sim_gpu.h) for development networks and CI.
#include <memory>
#include <string>

#include "attest/gpu/gpu_binding.h"

namespace chrysalis::attest::gpu {

// `count` simulated GPUs under the CA in `ca_dir` (`chrysalis attest gpu sim-ca`), kept for the
// provider's life so a worker's GPUs keep their identities across certificate renewals.
std::unique_ptr<GpuEvidenceProvider> make_sim_gpu_provider(const std::string& ca_dir, unsigned count);

}  // namespace chrysalis::attest::gpu
