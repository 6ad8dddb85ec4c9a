#include "attest/gpu/gpu_verification_cache.h"

#include "attest/quote/quote_crypto.h"

namespace chrysalis::attest::gpu {

namespace {

std::string cache_key(const GpuEvidence& evidence, const std::array<uint8_t, 32>& nonce, const GpuTrust& trust) {
  std::string key = to_hex(sha256(evidence.report)) + "|";
  key += to_hex(sha256({reinterpret_cast<const uint8_t*>(evidence.chain_pem.data()), evidence.chain_pem.size()}));
  key += "|" + to_hex(std::vector<uint8_t>(nonce.begin(), nonce.end()));
  for (const auto& root : trust.device.roots()) key += "|" + certificate_sha256_hex(root.get());
  key += "|crls:" + (trust.crls ? std::to_string(trust.crls->version) : std::string("none"));
  return key;
}

}  // namespace

GpuVerification GpuVerificationCache::verify(const GpuEvidence& evidence, const std::array<uint8_t, 32>& nonce,
                                             const GpuTrust& trust, std::chrono::system_clock::time_point now) {
  std::string key = cache_key(evidence, nonce, trust);
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      if (now < it->second.result.valid_until) {
        order_.splice(order_.begin(), order_, it->second.order);
        ++hits_;
        return it->second.result;
      }
      order_.erase(it->second.order);
      entries_.erase(it);
    }
    ++misses_;
  }
  GpuVerification result = verify_gpu_evidence(evidence, nonce, trust, {}, now);
  if (result.verified) {
    std::lock_guard lock(mutex_);
    if (!entries_.count(key)) {
      order_.push_front(key);
      entries_.emplace(key, Entry{result, order_.begin()});
      while (entries_.size() > capacity_) {
        entries_.erase(order_.back());
        order_.pop_back();
      }
    }
  }
  return result;
}

nlohmann::json GpuVerificationCache::stats() const {
  std::lock_guard lock(mutex_);
  return {{"entries", entries_.size()}, {"capacity", capacity_}, {"hits", hits_}, {"misses", misses_}};
}

GpuVerificationCache& shared_gpu_verification_cache() {
  static GpuVerificationCache cache;
  return cache;
}

}  // namespace chrysalis::attest::gpu
