#pragma once
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/routing_worker_selector.h"

namespace chrysalis::proxy {

// What the policy knows about the request being placed.
struct RequestShape {
  double expected_tokens = 256;  // completion tokens it will probably produce
  double prompt_tokens = 400;    // prompt size: time to first token grows with it
};

// Time to first token is a fixed overhead plus prefill linear in the prompt; measured TTFTs are
// stored as if for a typical 400-token prompt, and scaled back for the request at hand.
inline double prompt_ttft_scale(double prompt_tokens) { return (prompt_tokens + 400) / 800; }

struct PolicyParams {
  double contention = 0.3;         // per extra running request, each stream slows by this share
  double trust_penalty = 12;       // cost multiplier 1 + penalty x (1 - trust)
  double min_trust = 0.25;         // below it a worker is a last resort
  uint32_t trial_concurrency = 1;  // requests at once on a worker still on trial
  double trial_share = 0.05;       // share of requests sent to an idle worker on trial, so new workers get measured
  double explore_min_trust = 0.5;  // ...only while it has not faulted seriously (one stall or mid-stream error)
  double affinity_slack = 0.5;     // prefix-affinity worker kept while within +50 % of the best cost
};

// Picks one of `eligible` (indices into `workers`: all serve the model, are enabled, have a free
// slot and an acceptable price; never empty). Policies may keep state (round robin) and use `rng`.
class SelectionPolicy {
 public:
  virtual ~SelectionPolicy() = default;
  virtual std::string name() const = 0;
  virtual std::size_t choose(const std::vector<WorkerCandidate>& workers, const std::vector<std::size_t>& eligible,
                             const RequestShape& shape, std::mt19937_64& rng) = 0;
};

// "random", "round_robin", "reference", "ours", "oracle", and the price baselines "cheapest",
// "fastest", "price_weighted" (routing_price_policies.h); throws std::invalid_argument naming the choices.
std::unique_ptr<SelectionPolicy> make_selection_policy(std::string_view name, PolicyParams params = {});
const std::vector<std::string>& selection_policy_names();
const std::vector<std::string>& price_policy_names();

// Expected milliseconds until `w` finishes a request of `shape` (the "ours" estimate), with
// `fallback_ttft_ms` / `fallback_tps` standing in for what was not measured yet.
double expected_completion_ms(const WorkerCandidate& w, const RequestShape& shape, const PolicyParams& p,
                              double fallback_ttft_ms, double fallback_tps);

// Indices of the workers that may take the request: serving `model`, enabled, not yet tried, with
// a free slot and a coefficient within the cap.
std::vector<std::size_t> eligible_workers(const std::vector<WorkerCandidate>& candidates, const std::string& model,
                                          uint32_t max_coefficient);

// The full choice: eligibility (as choose_worker, with its errors) then the policy.
WorkerChoice select_worker(const std::vector<WorkerCandidate>& candidates, const std::string& model,
                           uint32_t max_coefficient, SelectionPolicy& policy, const RequestShape& shape,
                           std::mt19937_64& rng);

}  // namespace chrysalis::proxy
