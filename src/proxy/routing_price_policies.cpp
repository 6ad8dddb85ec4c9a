#include "proxy/routing_price_policies.h"

#include <limits>

#include "proxy/routing_deadline.h"

namespace chrysalis::proxy {
namespace {

// "cheapest" (by_price): the lowest coefficient, the soonest predicted first token among equals;
// "fastest": the soonest predicted first token.
class LeastPolicy : public SelectionPolicy {
 public:
  LeastPolicy(std::string name, bool by_price, PolicyParams p) : name_(std::move(name)), by_price_(by_price), p_(p) {}
  std::string name() const override { return name_; }
  std::size_t choose(const std::vector<WorkerCandidate>& w, const std::vector<std::size_t>& eligible,
                     const RequestShape& shape, std::mt19937_64&) override {
    double fallback = typical_ttft_ms(w, eligible);
    std::size_t best = eligible.front();
    double best_ms = std::numeric_limits<double>::infinity();
    for (auto i : eligible) {
      double ms = predicted_ttft_ms(w[i], shape, p_, fallback);
      uint32_t price = by_price_ ? w[i].coefficient : 0, best_price = by_price_ ? w[best].coefficient : 0;
      if (price < best_price || (price == best_price && ms < best_ms)) {
        best = i;
        best_ms = ms;
      }
    }
    return best;
  }

 private:
  std::string name_;
  bool by_price_;
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
  return std::make_unique<LeastPolicy>("cheapest", true, params);
}
std::unique_ptr<SelectionPolicy> make_fastest_policy(PolicyParams params) {
  return std::make_unique<LeastPolicy>("fastest", false, params);
}
std::unique_ptr<SelectionPolicy> make_price_weighted_policy() { return std::make_unique<PriceWeightedPolicy>(); }

}  // namespace chrysalis::proxy
