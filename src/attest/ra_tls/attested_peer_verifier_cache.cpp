#include "attest/ra_tls/attested_peer_verifier_cache.h"

#include "attest/quote/quote_crypto.h"

namespace chrysalis::attest {

QuoteVerification PeerQuoteCache::verify(const std::string& quote, const TrustAnchors& anchors,
                                         std::chrono::system_clock::time_point now) {
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(quote.data()), quote.size());
  std::string key = to_hex(sha256(bytes));
  for (auto& root : anchors.roots()) key += "|" + certificate_sha256_hex(root.get());
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
  QuoteVerification result = verify_quote(bytes, anchors, nullptr, now);
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

}  // namespace chrysalis::attest
