#pragma once
#include <chrono>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "attest/quote/quote_verifier.h"

namespace chrysalis::attest {

// Successful quote verifications keyed by SHA-256(quote) and the trust anchors used, so a
// reconnecting peer costs one hash instead of a chain and three signature checks. Entries
// expire at the result's valid_until; least recently used entries go first when full.
class PeerQuoteCache {
 public:
  explicit PeerQuoteCache(std::size_t capacity = 10000) : capacity_(capacity) {}

  // Cached or fresh verification of `quote` under `anchors` at `now`.
  QuoteVerification verify(const std::string& quote, const TrustAnchors& anchors,
                           std::chrono::system_clock::time_point now);
  std::size_t hits() const { return hits_; }
  std::size_t misses() const { return misses_; }

 private:
  struct Entry {
    QuoteVerification result;
    std::list<std::string>::iterator order;
  };
  std::size_t capacity_;
  std::mutex mutex_;
  std::list<std::string> order_;  // front = most recent
  std::unordered_map<std::string, Entry> entries_;
  std::size_t hits_ = 0, misses_ = 0;
};

}  // namespace chrysalis::attest
