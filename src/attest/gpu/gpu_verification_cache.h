#pragma once
// Verified GPU evidence, remembered until its chain or CRLs expire: a worker's certificate is
// checked at every handshake, every live recheck and every e2e seal a client asks for, and the
// same evidence must not cost a P-384 chain and signature verification each time. Only verified
// results are kept (a refusal is cheap to repeat and must not be pinned); the key covers the
// evidence, the nonce, the trusted roots and the CRL set, so nothing a policy change affects is
// reused. Bounded (least recently used out), its size and hits on /stats.
#include <array>
#include <chrono>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "attest/gpu/gpu_verifier.h"

namespace chrysalis::attest::gpu {

class GpuVerificationCache {
 public:
  explicit GpuVerificationCache(std::size_t capacity = 4096) : capacity_(capacity) {}
  GpuVerification verify(const GpuEvidence& evidence, const std::array<uint8_t, 32>& nonce, const GpuTrust& trust,
                         std::chrono::system_clock::time_point now);
  nlohmann::json stats() const;

 private:
  struct Entry {
    GpuVerification result;
    std::list<std::string>::iterator order;
  };
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::list<std::string> order_;  // front = most recent
  std::unordered_map<std::string, Entry> entries_;
  uint64_t hits_ = 0, misses_ = 0;
};

// The one a node's hops share.
GpuVerificationCache& shared_gpu_verification_cache();

}  // namespace chrysalis::attest::gpu
