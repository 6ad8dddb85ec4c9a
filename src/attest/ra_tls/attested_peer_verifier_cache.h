#pragma once
#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "common/expiring_lru.h"

#include "attest/quote/collateral_source.h"
#include "attest/quote/quote_verifier.h"

namespace chrysalis::attest {

// Successful quote verifications keyed by SHA-256(quote), the trust anchors used and the collateral
// they were judged with, so a reconnecting peer costs one hash instead of a chain and three
// signature checks. Entries expire at the result's valid_until; least recently used go first.
class PeerQuoteCache {
 public:
  explicit PeerQuoteCache(std::size_t capacity = 10000) : entries_(capacity) {}

  // With collateral (pcs_collateral.h): every verification also checks the quote's platform against
  // its TCB info, QE identity and CRLs, and refuses a TCB status outside `accepted_statuses`
  // (reason "tcb_status"), or a platform whose collateral is not fetched yet ("collateral_unavailable").
  void use_collateral(std::shared_ptr<CollateralSource> source, std::set<std::string> accepted_statuses);
  bool uses_collateral() const { return source_ != nullptr; }

  // Cached or fresh verification of `quote` under `anchors` at `now`.
  QuoteVerification verify(const std::string& quote, const TrustAnchors& anchors,
                           std::chrono::system_clock::time_point now);
  std::size_t hits() const { return entries_.hits(); }
  std::size_t misses() const { return entries_.misses(); }

 private:
  QuoteVerification with_collateral(std::span<const uint8_t> quote, const TrustAnchors& anchors,
                                    std::chrono::system_clock::time_point now, QuoteVerification base,
                                    std::string& key);
  ExpiringLru<QuoteVerification> entries_;
  std::shared_ptr<CollateralSource> source_;
  std::set<std::string> accepted_;
};

}  // namespace chrysalis::attest
