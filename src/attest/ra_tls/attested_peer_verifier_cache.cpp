#include "attest/ra_tls/attested_peer_verifier_cache.h"

#include "attest/quote/quote_crypto.h"

namespace chrysalis::attest {

QuoteVerification PeerQuoteCache::verify(const std::string& quote, const TrustAnchors& anchors,
                                         std::chrono::system_clock::time_point now) {
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(quote.data()), quote.size());
  std::string key = to_hex(sha256(bytes));
  for (auto& root : anchors.roots()) key += "|" + certificate_sha256_hex(root.get());
  if (auto cached = entries_.get(key, now)) return *cached;
  QuoteVerification result = verify_quote(bytes, anchors, nullptr, now);
  if (result.verified) entries_.put(key, result, result.valid_until);
  return result;
}

}  // namespace chrysalis::attest
