#pragma once
// The JSON form of a GPU verification (`chrysalis attest gpu verify`, /stats).
#include <nlohmann/json.hpp>

#include "attest/gpu/gpu_verifier.h"

namespace chrysalis::attest::gpu {

nlohmann::json gpu_verification_to_json(const GpuVerification& r);

}  // namespace chrysalis::attest::gpu
