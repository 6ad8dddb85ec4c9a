#include "proxy/routing_deadline.h"

#include <cmath>
#include <limits>

namespace chrysalis::proxy {
namespace {

std::string price_words(uint32_t coefficient, uint64_t price_per_token) {
  std::string out = "coefficient " + std::to_string(coefficient);
  if (price_per_token) out += " (" + std::to_string(price_per_token * coefficient) + " nanoTON per 1,000 tokens)";
  return out;
}

std::string ms_words(double ms) { return std::to_string(static_cast<long long>(std::llround(ms))) + " ms"; }

}  // namespace

double predicted_ttft_ms(const WorkerCandidate& w, const RequestShape& shape, const PolicyParams& p,
                         double fallback_ttft_ms) {
  double ttft = w.tokens_per_s > 0 ? w.ttft_ms : fallback_ttft_ms;
  double slowdown = 1 + (w.contention > 0 ? w.contention : p.contention) * static_cast<double>(w.running);
  return w.rtt_ms + ttft * prompt_ttft_scale(shape.prompt_tokens) * slowdown;
}

double typical_ttft_ms(const std::vector<WorkerCandidate>& w, const std::vector<std::size_t>& eligible) {
  double sum = 0, n = 0;
  for (auto i : eligible)
    if (w[i].tokens_per_s > 0) {
      sum += w[i].ttft_ms;
      n += 1;
    }
  return n > 0 ? sum / n : kUnmeasuredTtftMs;
}

DeadlinePick choose_for_deadline(const std::vector<WorkerCandidate>& w, const std::vector<std::size_t>& eligible,
                                 const RequestShape& shape, uint32_t deadline_ms, const PolicyParams& p,
                                 uint64_t price_per_token) {
  const double fallback = typical_ttft_ms(w, eligible);

  // Trustworthy workers with room first; the rest only when nobody else is free.
  std::vector<std::size_t> pool;
  for (auto i : eligible)
    if (w[i].trust >= p.min_trust && !(w[i].trial && w[i].running >= p.trial_concurrency)) pool.push_back(i);
  if (pool.empty()) pool = eligible;

  std::size_t cheapest = SIZE_MAX, soonest = SIZE_MAX;
  double cheapest_ms = std::numeric_limits<double>::infinity(), soonest_ms = cheapest_ms;
  std::size_t meeting = 0;
  for (auto i : pool) {
    double ms = predicted_ttft_ms(w[i], shape, p, fallback);
    if (ms < soonest_ms) {
      soonest_ms = ms;
      soonest = i;
    }
    if (ms > deadline_ms) continue;
    ++meeting;
    bool better = cheapest == SIZE_MAX || w[i].coefficient < w[cheapest].coefficient ||
                  (w[i].coefficient == w[cheapest].coefficient && ms < cheapest_ms);
    if (better) {
      cheapest = i;
      cheapest_ms = ms;
    }
  }
  const std::string deadline = "ttft_deadline_ms " + std::to_string(deadline_ms);
  DeadlinePick pick;
  if (cheapest != SIZE_MAX) {
    pick.index = cheapest;
    pick.meets = true;
    pick.reason = "cheapest of " + std::to_string(meeting) + " worker(s) predicted to meet " + deadline + ": " +
                  price_words(w[cheapest].coefficient, price_per_token) + ", first token predicted in " +
                  ms_words(cheapest_ms);
  } else {
    pick.index = soonest;
    pick.reason = "no worker predicted to meet " + deadline + "; the soonest: first token predicted in " +
                  ms_words(soonest_ms) + ", " + price_words(w[soonest].coefficient, price_per_token);
  }
  if (w[pick.index].tokens_per_s <= 0) pick.reason += " (not measured yet: assumed typical)";
  return pick;
}

uint32_t coefficient_cap(uint64_t max_price, uint64_t price_per_token) {
  if (max_price == 0 || price_per_token == 0) return std::numeric_limits<uint32_t>::max();
  uint64_t cap = max_price / price_per_token;
  return cap > std::numeric_limits<uint32_t>::max() ? std::numeric_limits<uint32_t>::max() : static_cast<uint32_t>(cap);
}

}  // namespace chrysalis::proxy
