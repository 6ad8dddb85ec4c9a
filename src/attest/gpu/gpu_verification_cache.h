#pragma once
// Verified GPU evidence, remembered until its chain or CRLs expire: a worker's certificate is
// checked at every handshake, every live recheck and every e2e seal a client asks for, and the
// same evidence must not cost a P-384 chain and signature verification each time. Only verified
// results are kept (a refusal is cheap to repeat and must not be pinned); the key covers the
// evidence, the nonce, the trusted roots and the CRL set, so nothing a policy change affects is
// reused. Bounded (least recently used out), its size and hits on /stats.
#include <array>
#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "attest/gpu/gpu_verifier.h"
#include "common/expiring_lru.h"

namespace chrysalis::attest::gpu {

class GpuVerificationCache {
 public:
  explicit GpuVerificationCache(std::size_t capacity = 4096) : entries_(capacity) {}
  GpuVerification verify(const GpuEvidence& evidence, const std::array<uint8_t, 32>& nonce, const GpuTrust& trust,
                         std::chrono::system_clock::time_point now);
  nlohmann::json stats() const;

 private:
  ExpiringLru<GpuVerification> entries_;
};

// The one a node's hops share.
GpuVerificationCache& shared_gpu_verification_cache();

}  // namespace chrysalis::attest::gpu
