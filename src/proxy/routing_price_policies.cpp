#include "proxy/routing_price_policies.h"

#include <limits>

#include "proxy/routing_deadline.h"

namespace chrysalis::proxy {
namespace {

// Unmeasured workers are assumed typical: the mean TTFT of the measured eligible ones.
double typical_ttft_ms(const std::vector<WorkerCandidate>& w, const std::vector<std::size_t>& eligible) {
  double sum = 0, n = 0;
  for (auto i : eligible)
    if (w[i].tokens_per_s > 0) {
      sum += w[i].ttft_ms;
      n += 1;
    }
  return n > 0 ? sum / n : 500;
}

// The eligible worker with the least (coefficient if by_price, else nothing) then predicted TTFT.
std::size_t least(const std::vector<WorkerCandidate>& w, const std::vector<std::size_t>& eligible,
                  const RequestShape& shape, const PolicyParams& p, bool by_price) {
  double fallback = typical_ttft_ms(w, eligible);
  std::size_t best = eligible.front();
  double best_ms = std::numeric_limits<double>::infinity();
  for (auto i : eligible) {
    double ms = predicted_ttft_ms(w[i], shape, p, fallback);
    uint32_t price = by_price ? w[i].coefficient : 0, best_price = by_price ? w[best].coefficient : 0;
    if (price < best_price || (price == best_price && ms < best_ms)) {
      best = i;
      best_ms = ms;
    }
  }
  return best;
}

class CheapestPolicy : public SelectionPolicy {
 public:
  explicit CheapestPolicy(PolicyParams p) : p_(p) {}
  std::string name() const override { return "cheapest"; }
  std::size_t choose(const std::vector<WorkerCandidate>& w, const std::vector<std::size_t>& eligible,
                     const RequestShape& shape, std::mt19937_64&) override {
    return least(w, eligible, shape, p_, true);
  }

 private:
  PolicyParams p_;
};

class FastestPolicy : public SelectionPolicy {
 public:
  explicit FastestPolicy(PolicyParams p) : p_(p) {}
  std::string name() const override { return "fastest"; }
  std::size_t choose(const std::vector<WorkerCandidate>& w, const std::vector<std::size_t>& eligible,
                     const RequestShape& shape, std::mt19937_64&) override {
    return least(w, eligible, shape, p_, false);
  }

 private:
  PolicyParams p_;
};

class PriceWeightedPolicy : public SelectionPolicy {
 public:
  std::string name() const override { return "price_weighted"; }
  std::size_t choose(const std::vector<WorkerCandidate>& w, const std::vector<std::size_t>& eligible,
                     const RequestShape&, std::mt19937_64& rng) override {
    std::vector<double> weights;
    weights.reserve(eligible.size());
    for (auto i : eligible) {
      double price = std::max<double>(w[i].coefficient, 1);  // a free worker weighs like the cheapest possible
      weights.push_back(1 / (price * price));
    }
    std::discrete_distribution<std::size_t> pick(weights.begin(), weights.end());
    return eligible[pick(rng)];
  }
};

}  // namespace

std::unique_ptr<SelectionPolicy> make_cheapest_policy(PolicyParams params) {
  return std::make_unique<CheapestPolicy>(params);
}
std::unique_ptr<SelectionPolicy> make_fastest_policy(PolicyParams params) {
  return std::make_unique<FastestPolicy>(params);
}
std::unique_ptr<SelectionPolicy> make_price_weighted_policy() { return std::make_unique<PriceWeightedPolicy>(); }

}  // namespace chrysalis::proxy
