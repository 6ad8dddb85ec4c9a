#pragma once
// Verification results cached by SHA-256(quote): a bounded LRU. One cache serves one set of trust
// anchors and one collateral (the owner creates a new cache when either changes). A positive result
// is reused until its valid_until (earliest certificate expiry / collateral nextUpdate); a refusal
// for at most `refusal_ttl`, so a quote refused only because of the clock is retried later.
#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>

#include "attest/quote/quote_verifier.h"

namespace chrysalis::attest {

class QuoteVerificationCache {
 public:
  explicit QuoteVerificationCache(size_t capacity = 10000,
                                  std::chrono::seconds refusal_ttl = std::chrono::seconds(300));

  std::shared_ptr<const QuoteVerification> find(const Fixed<32>& quote_sha256,
                                                std::chrono::system_clock::time_point now);
  void store(const Fixed<32>& quote_sha256, std::shared_ptr<const QuoteVerification> result,
             std::chrono::system_clock::time_point now);
  size_t size() const { return index_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const QuoteVerification> result;
    std::chrono::system_clock::time_point expires;
  };
  size_t capacity_;
  std::chrono::seconds refusal_ttl_;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  uint64_t hits_ = 0, misses_ = 0;
};

// verify_quote behind a cache: the one call sites use.
class CachingQuoteVerifier {
 public:
  CachingQuoteVerifier(TrustAnchors anchors, std::shared_ptr<const Collateral> collateral = nullptr,
                       size_t capacity = 10000);
  // `cached` (optional) reports whether the result came from the cache.
  std::shared_ptr<const QuoteVerification> verify(std::span<const uint8_t> quote,
                                                  std::chrono::system_clock::time_point now, bool* cached = nullptr);
  const TrustAnchors& anchors() const { return anchors_; }
  const QuoteVerificationCache& cache() const { return cache_; }

 private:
  TrustAnchors anchors_;
  std::shared_ptr<const Collateral> collateral_;
  QuoteVerificationCache cache_;
};

}  // namespace chrysalis::attest
