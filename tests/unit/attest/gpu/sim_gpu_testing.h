#pragma once
// One simulated GPU CA for a test binary, and the trust that accepts only it.
#include "attest/gpu/gpu_verifier.h"
#include "attest/gpu/sim_gpu.h"

namespace chrysalis::attest::gpu::testing {

inline const SimGpuCa& sim_ca() {
  static const SimGpuCa c = create_sim_gpu_ca();
  return c;
}

inline GpuTrust sim_trust(std::shared_ptr<const CrlSet> crls = nullptr) {
  GpuTrust t = GpuTrust::nvidia();
  t.device = TrustAnchors::none();
  t.device.add_pem(sim_ca().root_pem());
  t.crls = std::move(crls);
  return t;
}

}  // namespace chrysalis::attest::gpu::testing
