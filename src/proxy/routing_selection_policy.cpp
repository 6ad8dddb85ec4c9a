#include "proxy/routing_selection_policy.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "proxy/routing_price_policies.h"

namespace chrysalis::proxy {

namespace {

// Uniformly random eligible worker: the floor any policy must beat.
class RandomPolicy : public SelectionPolicy {
 public:
  std::string name() const override { return "random"; }
  std::size_t choose(const std::vector<WorkerCandidate>&, const std::vector<std::size_t>& eligible, const RequestShape&,
                     std::mt19937_64& rng) override {
    return eligible[std::uniform_int_distribution<std::size_t>(0, eligible.size() - 1)(rng)];
  }
};

// Round robin over a changing set: the least recently dispatched eligible worker.
class RoundRobinPolicy : public SelectionPolicy {
 public:
  std::string name() const override { return "round_robin"; }
  std::size_t choose(const std::vector<WorkerCandidate>& w, const std::vector<std::size_t>& eligible,
                     const RequestShape&, std::mt19937_64&) override {
    return *std::min_element(eligible.begin(), eligible.end(),
                             [&](auto a, auto b) { return w[a].last_dispatch < w[b].last_dispatch; });
  }
};

// COCOON's rule, kept faithfully as the baseline: lowest running x average request time, strict
// '<' so the first in order wins ties; the average reads 0 until it rests on ~60 requests.
class ReferencePolicy : public SelectionPolicy {
 public:
  std::string name() const override { return "reference"; }
  std::size_t choose(const std::vector<WorkerCandidate>& w, const std::vector<std::size_t>& eligible,
                     const RequestShape&, std::mt19937_64&) override {
    std::size_t best = eligible.front();
    double best_weight = std::numeric_limits<double>::infinity();
    for (auto i : eligible) {
      double avg = w[i].history > 60 ? w[i].avg_request_ms : 0;
      double weight = static_cast<double>(w[i].running) * avg;
      if (weight < best_weight) {
        best_weight = weight;
        best = i;
      }
    }
    return best;
  }
};

// Simulator only: lowest true expected completion time (it knows speeds and who misbehaves).
class OraclePolicy : public SelectionPolicy {
 public:
  std::string name() const override { return "oracle"; }
  std::size_t choose(const std::vector<WorkerCandidate>& w, const std::vector<std::size_t>& eligible,
                     const RequestShape&, std::mt19937_64&) override {
    return *std::min_element(eligible.begin(), eligible.end(),
                             [&](auto a, auto b) { return w[a].true_expected_ms < w[b].true_expected_ms; });
  }
};

// Ours: least expected completion time (RTT + TTFT + tokens / speed slowed by the requests already
// running there), inflated by distrust; workers on trial get one request at a time; the prompt-prefix
// worker keeps the request while it is not much worse than the best.
class OursPolicy : public SelectionPolicy {
 public:
  explicit OursPolicy(PolicyParams p) : p_(p) {}
  std::string name() const override { return "ours"; }
  std::size_t choose(const std::vector<WorkerCandidate>& w, const std::vector<std::size_t>& eligible,
                     const RequestShape& shape, std::mt19937_64& rng) override {
    // Exploration: a small, bounded share of requests measures an idle worker still on trial;
    // otherwise a fast incumbent would keep every new worker unmeasured forever. A trial worker
    // that has already faulted seriously is not explored further.
    std::vector<std::size_t> idle_trial;
    for (auto i : eligible)
      if (w[i].trial && w[i].running == 0 && w[i].trust >= p_.explore_min_trust) idle_trial.push_back(i);
    if (!idle_trial.empty() && std::uniform_real_distribution<double>(0, 1)(rng) < p_.trial_share)
      return idle_trial[std::uniform_int_distribution<std::size_t>(0, idle_trial.size() - 1)(rng)];
    // Unmeasured workers are assumed typical: the mean of the measured ones.
    double ttft_sum = 0, tps_sum = 0, n = 0;
    for (auto i : eligible)
      if (w[i].tokens_per_s > 0) {
        ttft_sum += w[i].ttft_ms;
        tps_sum += w[i].tokens_per_s;
        n += 1;
      }
    double fb_ttft = n > 0 ? ttft_sum / n : 500, fb_tps = n > 0 ? tps_sum / n : 30;

    std::size_t best = SIZE_MAX, affine = SIZE_MAX;
    double best_cost = std::numeric_limits<double>::infinity(), affine_cost = best_cost;
    for (auto i : eligible) {
      // A new worker's exposure is bounded: one request at a time until it has a record.
      if (w[i].trial && w[i].running >= p_.trial_concurrency) continue;
      double cost =
          expected_completion_ms(w[i], shape, p_, fb_ttft, fb_tps) * (1 + p_.trust_penalty * (1 - w[i].trust));
      if (w[i].trust < p_.min_trust) cost *= 100;  // only when nothing better is free
      bool better = cost < best_cost || (cost == best_cost && w[i].last_dispatch < w[best].last_dispatch);
      if (better) {
        best_cost = cost;
        best = i;
      }
      if (w[i].affinity) {
        affine = i;
        affine_cost = cost;
      }
    }
    // Only workers on trial with a request each are free: take the least loaded of them.
    if (best == SIZE_MAX)
      return *std::min_element(eligible.begin(), eligible.end(),
                               [&](auto a, auto b) { return w[a].running < w[b].running; });
    if (affine != SIZE_MAX && affine_cost <= best_cost * (1 + p_.affinity_slack)) return affine;
    return best;
  }

 private:
  PolicyParams p_;
};

}  // namespace

double expected_completion_ms(const WorkerCandidate& w, const RequestShape& shape, const PolicyParams& p,
                              double fallback_ttft_ms, double fallback_tps) {
  double ttft = w.tokens_per_s > 0 ? w.ttft_ms : fallback_ttft_ms;
  double tps = w.tokens_per_s > 0 ? w.tokens_per_s : fallback_tps;
  double slowdown = 1 + (w.contention > 0 ? w.contention : p.contention) * static_cast<double>(w.running);
  return w.rtt_ms + ttft * prompt_ttft_scale(shape.prompt_tokens) * slowdown +
         shape.expected_tokens * 1000.0 / tps * slowdown;
}

const std::vector<std::string>& selection_policy_names() {
  static const std::vector<std::string> names = {"random", "round_robin", "reference", "ours", "oracle"};
  return names;
}

const std::vector<std::string>& price_policy_names() {
  static const std::vector<std::string> names = {"cheapest", "fastest", "price_weighted"};
  return names;
}

std::unique_ptr<SelectionPolicy> make_selection_policy(std::string_view name, PolicyParams params) {
  if (name == "random") return std::make_unique<RandomPolicy>();
  if (name == "round_robin") return std::make_unique<RoundRobinPolicy>();
  if (name == "reference") return std::make_unique<ReferencePolicy>();
  if (name == "ours") return std::make_unique<OursPolicy>(params);
  if (name == "oracle") return std::make_unique<OraclePolicy>();
  if (name == "cheapest") return make_cheapest_policy(params);
  if (name == "fastest") return make_fastest_policy(params);
  if (name == "price_weighted") return make_price_weighted_policy();
  std::string all;
  for (auto& n : selection_policy_names()) all += (all.empty() ? "" : ", ") + n;
  for (auto& n : price_policy_names()) all += ", " + n;
  throw std::invalid_argument("unknown routing policy '" + std::string(name) + "' (expected one of: " + all + ")");
}

std::vector<std::size_t> eligible_workers(const std::vector<WorkerCandidate>& candidates, const std::string& model,
                                          uint32_t max_coefficient) {
  std::vector<std::size_t> eligible;
  eligible.reserve(candidates.size());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const auto& c = candidates[i];
    if (c.model == model && c.enabled && !c.excluded && c.running < c.max_concurrent &&
        c.coefficient <= max_coefficient)
      eligible.push_back(i);
  }
  return eligible;
}

WorkerChoice select_worker(const std::vector<WorkerCandidate>& candidates, const std::string& model,
                           uint32_t max_coefficient, SelectionPolicy& policy, const RequestShape& shape,
                           std::mt19937_64& rng) {
  auto eligible = eligible_workers(candidates, model, max_coefficient);
  // choose_worker explains exactly why nothing qualifies.
  if (eligible.empty()) return choose_worker(candidates, model, max_coefficient);
  WorkerChoice choice;
  choice.index = static_cast<int>(policy.choose(candidates, eligible, shape, rng));
  return choice;
}

}  // namespace chrysalis::proxy
