#include "attest/quote/quote_cache.h"

#include "attest/quote/collateral.h"
#include "attest/quote/quote_crypto.h"

namespace chrysalis::attest {

QuoteVerificationCache::QuoteVerificationCache(size_t capacity, std::chrono::seconds refusal_ttl)
    : capacity_(capacity ? capacity : 1), refusal_ttl_(refusal_ttl) {}

std::shared_ptr<const QuoteVerification> QuoteVerificationCache::find(const Fixed<32>& hash,
                                                                      std::chrono::system_clock::time_point now) {
  auto it = index_.find(std::string(hash.begin(), hash.end()));
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  if (now >= it->second->expires) {
    lru_.erase(it->second);
    index_.erase(it);
    ++misses_;
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  ++hits_;
  return it->second->result;
}

void QuoteVerificationCache::store(const Fixed<32>& hash, std::shared_ptr<const QuoteVerification> result,
                                   std::chrono::system_clock::time_point now) {
  std::string key(hash.begin(), hash.end());
  auto expires = result->verified ? result->valid_until : now + refusal_ttl_;
  if (auto it = index_.find(key); it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.push_front({key, std::move(result), expires});
  index_[key] = lru_.begin();
  while (index_.size() > capacity_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

CachingQuoteVerifier::CachingQuoteVerifier(TrustAnchors anchors, std::shared_ptr<const Collateral> collateral,
                                           size_t capacity)
    : anchors_(std::move(anchors)), collateral_(std::move(collateral)), cache_(capacity) {}

std::shared_ptr<const QuoteVerification> CachingQuoteVerifier::verify(std::span<const uint8_t> quote,
                                                                      std::chrono::system_clock::time_point now,
                                                                      bool* cached) {
  const Fixed<32> key = sha256(quote);
  if (auto hit = cache_.find(key, now)) {
    if (cached) *cached = true;
    return hit;
  }
  if (cached) *cached = false;
  auto result = std::make_shared<const QuoteVerification>(verify_quote(quote, anchors_, collateral_.get(), now));
  cache_.store(key, result, now);
  return result;
}

}  // namespace chrysalis::attest
