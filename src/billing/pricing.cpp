#include "billing/pricing.h"

#include <algorithm>
#include <limits>
#include <string>

namespace chrysalis::billing {

Prices Prices::from_params(const ton::contracts::ContractParams& p) {
  Prices prices;
  prices.price_per_token = p.price_per_token;
  prices.worker_fee_per_token = p.worker_fee_per_token;
  prices.prompt_mult = p.prompt_mult;
  prices.cached_mult = p.cached_mult;
  prices.completion_mult = p.completion_mult;
  prices.reasoning_mult = p.reasoning_mult;
  return prices;
}

void Prices::validate() const {
  if (price_per_token == 0) throw std::invalid_argument("price_per_token must be positive");
  if (worker_fee_per_token > price_per_token)
    throw std::invalid_argument("worker_fee_per_token (" + std::to_string(worker_fee_per_token) +
                                ") is above price_per_token (" + std::to_string(price_per_token) + ")");
}

uint64_t adjust(uint64_t n, uint32_t coefficient, uint32_t multiplier) {
  unsigned __int128 v = static_cast<unsigned __int128>(n) * coefficient * multiplier / (1000u * 10000u);
  if (v > std::numeric_limits<uint64_t>::max()) throw std::overflow_error("adjusted token count exceeds 2^64");
  return static_cast<uint64_t>(v);
}

uint64_t checked_add(uint64_t a, uint64_t b) {
  if (a > std::numeric_limits<uint64_t>::max() - b) throw std::overflow_error("amount exceeds 2^64");
  return a + b;
}

uint64_t checked_mul(uint64_t a, uint64_t b) {
  unsigned __int128 v = static_cast<unsigned __int128>(a) * b;
  if (v > std::numeric_limits<uint64_t>::max()) throw std::overflow_error("amount exceeds 2^64");
  return static_cast<uint64_t>(v);
}

uint64_t adjusted_tokens(const TokenUsage& u, uint32_t coefficient, const Prices& p) {
  if (u.cached > u.prompt)
    throw std::invalid_argument("cached tokens (" + std::to_string(u.cached) + ") exceed prompt tokens (" +
                                std::to_string(u.prompt) + ")");
  if (u.reasoning > u.completion)
    throw std::invalid_argument("reasoning tokens (" + std::to_string(u.reasoning) + ") exceed completion tokens (" +
                                std::to_string(u.completion) + ")");
  uint64_t total = adjust(u.prompt - u.cached, coefficient, p.prompt_mult);
  total = checked_add(total, adjust(u.cached, coefficient, p.cached_mult));
  total = checked_add(total, adjust(u.completion - u.reasoning, coefficient, p.completion_mult));
  return checked_add(total, adjust(u.reasoning, coefficient, p.reasoning_mult));
}

uint64_t reservation_tokens(uint64_t prompt_tokens, uint64_t max_tokens, uint32_t coefficient, const Prices& p) {
  // Σ trunc(x_i) ≤ trunc(Σ x_i) ≤ trunc(n × max multiplier), so this bounds every real usage.
  return checked_add(adjust(prompt_tokens, coefficient, std::max(p.prompt_mult, p.cached_mult)),
                     adjust(max_tokens, coefficient, std::max(p.completion_mult, p.reasoning_mult)));
}

uint64_t client_cost_nano(uint64_t adjusted, const Prices& p) { return checked_mul(adjusted, p.price_per_token); }
uint64_t worker_fee_nano(uint64_t adjusted, const Prices& p) { return checked_mul(adjusted, p.worker_fee_per_token); }
uint64_t commission_nano(uint64_t adjusted, const Prices& p) {
  return checked_mul(adjusted, p.price_per_token - p.worker_fee_per_token);
}

}  // namespace chrysalis::billing
