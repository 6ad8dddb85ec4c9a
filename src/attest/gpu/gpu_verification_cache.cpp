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
  if (auto cached = entries_.get(key, now)) return *cached;
  GpuVerification result = verify_gpu_evidence(evidence, nonce, trust, {}, now);
  if (result.verified) entries_.put(key, result, result.valid_until);
  return result;
}

nlohmann::json GpuVerificationCache::stats() const {
  return {{"entries", entries_.size()}, {"capacity", entries_.capacity()}, {"hits", entries_.hits()},
          {"misses", entries_.misses()}};
}

GpuVerificationCache& shared_gpu_verification_cache() {
  static GpuVerificationCache cache;
  return cache;
}

}  // namespace chrysalis::attest::gpu
