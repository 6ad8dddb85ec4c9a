#pragma once
// The "nvml" GPU evidence provider: NVIDIA's management library, loaded at run time from
// `library` (default libnvidia-ml.so.1) so the build needs neither CUDA nor a driver. At start it
// requires confidential computing on, in the production environment, with DevTools off (a
// debugger could read GPU memory otherwise), and at least one GPU; each collect() asks every GPU
// for a report over the nonce and for its attestation-key chain, checks that evidence itself with
// `self_check` (so a worker never presents evidence its peers will refuse) and, once all GPUs
// pass, marks them ready to accept work if they were not yet. Every failure names the step.
#include <memory>
#include <string>

#include "attest/gpu/gpu_binding.h"

namespace chrysalis::attest::gpu {

inline constexpr const char* kDefaultNvmlLibrary = "libnvidia-ml.so.1";

std::unique_ptr<GpuEvidenceProvider> make_nvml_gpu_provider(const std::string& library, GpuTrust self_check);

}  // namespace chrysalis::attest::gpu
