#pragma once
// Discrete-event simulation of one proxy routing requests over many heterogeneous, partly
// misbehaving workers. Routing decisions and reputation go through the proxy's real code
// (proxy/routing_selection_policy.h, proxy/routing_reputation.h, proxy/routing_spot_check.h).
#include <cstdint>
#include <string>

namespace routing_sim {

struct Scenario {
  uint32_t workers = 1000;
  double load = 0.9;  // arrival rate as a fraction of the honest workers' capacity
  double bad = 0.05;  // fraction of misbehaving workers, split evenly over the bad kinds
  uint64_t seed = 1;
  double duration_s = 300;  // arrivals stop here; requests in flight still finish
  double warmup_s = 0;      // arrivals before this are not measured (0 = 20 % of duration)
  // Stall limits as the proxy sets them (proxy/routing_config.h): max(floor, factor x the chosen
  // worker's predicted first token); a floor of 0 turns the mechanism off. A factor of 0 keeps the
  // floor alone (a fixed limit).
  double first_token_timeout_ms = 5000;
  double first_token_factor = 0;
  double hedge_after_ms = 0;
  double hedge_factor = 0;
  double deadline_ms = 60000;
  uint32_t max_retries = 2;
  double spot_check_rate = 0.01;
  double mtbf_s = 3600;      // every worker goes offline on average once per this
  double detect_ms = 10000;  // missed pings before an offline worker is dropped
  double trust_penalty = -1;
  double trial_share = 0.05;  // as the proxy's routing.trial_share
  // Price and deadline terms: workers get coefficients that grow with their speed, and requests a
  // deadline class (a third none, a third `interactive_ttft_ms`, a third `batch_ttft_ms`). A
  // policy named "<policy>+terms" serves requests with a deadline by the proxy's terms rule.
  bool terms = false;
  double interactive_ttft_ms = 800;
  double batch_ttft_ms = 5000;
};

struct Result {
  std::string policy;
  uint64_t measured = 0, succeeded = 0, failed = 0, wrong = 0, retries = 0, busy_waits = 0;
  uint64_t attempts = 0, attempts_on_bad = 0, spot_checks = 0, spot_disagreements = 0;
  // What the mechanisms cost: hedges launched and won, spot-check runs (thirds included), and the
  // worker-seconds spent on work no client received (losing hedges, stalled and cancelled attempts,
  // spot runs) as a share of the worker-seconds of delivered answers.
  uint64_t hedges = 0, hedges_won = 0, spot_runs = 0;
  double wasted_share = 0;
  double mean_ms = 0, p50_ms = 0, p99_ms = 0, ttft_p99_ms = 0;
  double throughput_rps = 0, failure_rate = 0, wrong_rate = 0, bad_share = 0;
  double offered_rps = 0;
  // With terms: requests that had a deadline, those whose first token met it, and the mean
  // coefficient paid (weighted by tokens) overall and by the requests with a deadline.
  uint64_t with_deadline = 0, deadline_met = 0;
  double deadline_met_rate = 0, mean_coefficient = 0, deadline_mean_coefficient = 0, free_mean_coefficient = 0;
};

Result simulate(const Scenario& scenario, const std::string& policy);

}  // namespace routing_sim
