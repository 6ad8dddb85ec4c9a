#include "attest/ra_tls/attested_peer_verifier_cache.h"

#include <algorithm>
#include <cctype>

#include "attest/quote/quote_crypto.h"

namespace chrysalis::attest {

void PeerQuoteCache::use_collateral(std::shared_ptr<CollateralSource> source, std::set<std::string> accepted_statuses) {
  source_ = std::move(source);
  accepted_ = std::move(accepted_statuses);
}

QuoteVerification PeerQuoteCache::verify(const std::string& quote, const TrustAnchors& anchors,
                                         std::chrono::system_clock::time_point now) {
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(quote.data()), quote.size());
  std::string key = to_hex(sha256(bytes));
  for (auto& root : anchors.roots()) key += "|" + certificate_sha256_hex(root.get());
  QuoteVerification base;
  if (auto cached = entries_.get(key, now)) {
    base = *cached;
  } else {
    base = verify_quote(bytes, anchors, nullptr, now);
    if (base.verified) entries_.put(key, base, base.valid_until);
  }
  if (!source_ || !base.verified) return base;
  // The platform (FMSPC, PCK CA) comes from the verified PCK chain; its collateral then decides.
  return with_collateral(bytes, anchors, now, std::move(base), key);
}

QuoteVerification PeerQuoteCache::with_collateral(std::span<const uint8_t> quote, const TrustAnchors& anchors,
                                                  std::chrono::system_clock::time_point now, QuoteVerification base,
                                                  std::string& key) {
  std::string fmspc = canonical_fmspc(to_hex(base.pck->fmspc));
  auto entry = source_->get(fmspc, base.pck_ca);
  if (!entry) {
    base.verified = false;
    base.reason = "collateral_unavailable";
    base.reason_text = "no collateral yet for the peer's platform (FMSPC " + fmspc + ", " + base.pck_ca +
                       " CA): it is being fetched; the peer may try again shortly";
    return base;
  }
  key += "|" + entry->fingerprint;  // new collateral (a revocation, a downgrade) is judged afresh
  if (auto cached = entries_.get(key, now)) return *cached;
  QuoteVerification result = verify_quote(quote, anchors, &entry->collateral, now);
  if (result.verified && !accepted_.count(result.tcb_status)) {
    std::string accepted;
    for (const auto& s : accepted_) accepted += (accepted.empty() ? "" : ", ") + s;
    std::string advisories;
    for (const auto& a : result.advisory_ids) advisories += (advisories.empty() ? "; advisories " : ", ") + a;
    result.verified = false;
    result.reason = "tcb_status";
    result.reason_text = "the platform's TCB status is " + result.tcb_status + ", which the policy does not accept (" +
                         accepted + ")" + advisories;
    return result;
  }
  if (result.verified) entries_.put(key, result, std::min(result.valid_until, entry->next_update));
  return result;
}

}  // namespace chrysalis::attest
