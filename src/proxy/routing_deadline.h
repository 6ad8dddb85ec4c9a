#pragma once
// Price and deadline terms (docs/openai-surface.md): an app may ask for its first token within
// `ttft_deadline_ms`; the proxy then picks the cheapest worker predicted to make it, or, when none
// is, the one predicted to answer soonest, and says which and why.
#include <cstdint>
#include <string>
#include <vector>

#include "proxy/routing_selection_policy.h"

namespace chrysalis::proxy {

// Milliseconds until `w` sends the first token of a request of `shape`: RTT plus its measured
// TTFT for this prompt size, slowed by the requests already running there. `fallback_ttft_ms`
// stands in for a worker not measured yet.
double predicted_ttft_ms(const WorkerCandidate& w, const RequestShape& shape, const PolicyParams& p,
                         double fallback_ttft_ms);

// What an unmeasured worker is assumed to take: the mean TTFT of the measured ones among
// `eligible` (as the "ours" policy does), or kUnmeasuredTtftMs when none is measured yet.
inline constexpr double kUnmeasuredTtftMs = 500;
double typical_ttft_ms(const std::vector<WorkerCandidate>& w, const std::vector<std::size_t>& eligible);

struct DeadlinePick {
  std::size_t index = 0;  // into the candidates
  bool meets = false;     // predicted to meet the deadline
  std::string reason;     // for the app (X-Chrysalis-Route) and the logs
};

// Among `eligible` (never empty; all serve the model, are free and within the price cap): the
// lowest coefficient predicted to meet `deadline_ms` (sooner first among equals), else the
// soonest. Workers below the policy's minimum trust, and workers on trial already busy, are left
// out while anyone else qualifies. `price_per_token` (0: unpaid) only words the reason.
DeadlinePick choose_for_deadline(const std::vector<WorkerCandidate>& workers, const std::vector<std::size_t>& eligible,
                                 const RequestShape& shape, uint32_t deadline_ms, const PolicyParams& p,
                                 uint64_t price_per_token);

// The highest coefficient a price cap admits: a worker at coefficient c costs price_per_token x c
// nanoTON per 1,000 adjusted tokens. `max_price` 0 or an unpaid proxy (price 0): no cap.
uint32_t coefficient_cap(uint64_t max_price, uint64_t price_per_token);

}  // namespace chrysalis::proxy
