#include "proxy/routing_worker_selector.h"

#include <algorithm>
#include <limits>

namespace chrysalis::proxy {

WorkerChoice choose_worker(const std::vector<WorkerCandidate>& candidates, const std::string& model,
                           uint32_t max_coefficient) {
  WorkerChoice choice;
  std::size_t serving = 0, enabled = 0, free = 0;
  uint32_t cheapest_too_expensive = std::numeric_limits<uint32_t>::max();
  double best_score = std::numeric_limits<double>::infinity();
  // Workers without history are assumed as fast as the fastest known one, so new workers get traffic.
  double fastest = 0;
  for (auto& c : candidates)
    if (c.model == model && c.avg_request_ms > 0)
      fastest = fastest == 0 ? c.avg_request_ms : std::min(fastest, c.avg_request_ms);
  if (fastest == 0) fastest = 1;

  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const auto& c = candidates[i];
    if (c.model != model) continue;
    ++serving;
    if (!c.enabled || c.excluded) continue;
    ++enabled;
    if (c.running >= c.max_concurrent) continue;
    ++free;
    if (c.coefficient > max_coefficient) {
      cheapest_too_expensive = std::min(cheapest_too_expensive, c.coefficient);
      continue;
    }
    double avg = c.avg_request_ms > 0 ? c.avg_request_ms : fastest;
    double score = (static_cast<double>(c.running) + 1.0) / static_cast<double>(c.max_concurrent) * avg;
    bool better = score < best_score;
    if (score == best_score && choice.index >= 0) {
      const auto& best = candidates[choice.index];
      better = c.coefficient < best.coefficient ||
               (c.coefficient == best.coefficient && c.last_dispatch < best.last_dispatch);
    }
    if (better) {
      best_score = score;
      choice.index = static_cast<int>(i);
    }
  }
  if (choice.index >= 0) return choice;

  if (serving == 0) {
    choice.http_status = 404;
    choice.code = "model_not_found";
    choice.message = "no worker serves model '" + model + "'";
  } else if (enabled == 0) {
    choice.http_status = 503;
    choice.code = "no_ready_workers";
    choice.message =
        "all " + std::to_string(serving) + " workers for model '" + model + "' are disabled or already tried";
    // Name why, so an operator sees e.g. a stale registry or a dead engine in the app's error.
    for (const auto& c : candidates)
      if (c.model == model && !c.enabled && !c.disabled_reason.empty()) {
        choice.message += " (a worker says: " + c.disabled_reason + ")";
        break;
      }
  } else if (free == 0) {
    choice.http_status = 429;
    choice.code = "all_workers_busy";
    choice.message = "all " + std::to_string(enabled) + " workers for model '" + model + "' are at capacity";
  } else {
    choice.http_status = 503;
    choice.code = "price_too_high";
    choice.message = "no worker for model '" + model + "' at max_coefficient " + std::to_string(max_coefficient) +
                     "; the cheapest available has coefficient " + std::to_string(cheapest_too_expensive);
  }
  return choice;
}

}  // namespace chrysalis::proxy
