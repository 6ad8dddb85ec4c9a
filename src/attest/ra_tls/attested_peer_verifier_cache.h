#pragma once
#include <chrono>
#include <string>

#include "common/expiring_lru.h"

#include "attest/quote/quote_verifier.h"

namespace chrysalis::attest {

// Successful quote verifications keyed by SHA-256(quote) and the trust anchors used, so a
// reconnecting peer costs one hash instead of a chain and three signature checks. Entries
// expire at the result's valid_until; least recently used entries go first when full.
class PeerQuoteCache {
 public:
  explicit PeerQuoteCache(std::size_t capacity = 10000) : entries_(capacity) {}

  // Cached or fresh verification of `quote` under `anchors` at `now`.
  QuoteVerification verify(const std::string& quote, const TrustAnchors& anchors,
                           std::chrono::system_clock::time_point now);
  std::size_t hits() const { return entries_.hits(); }
  std::size_t misses() const { return entries_.misses(); }

 private:
  ExpiringLru<QuoteVerification> entries_;
};

}  // namespace chrysalis::attest
