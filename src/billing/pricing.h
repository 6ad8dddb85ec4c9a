#pragma once
// Token pricing as the contracts settle it: every amount the proxy signs is a count of
// *adjusted tokens* (per-kind multipliers and the worker's coefficient applied); the client
// contract pays adjusted × price_per_token nanoTON, the worker earns adjusted × worker_fee_per_token,
// the proxy keeps the difference.
#include <cstdint>
#include <stdexcept>

#include "ton/contracts/contract_params.h"

namespace chrysalis::billing {

// What a finished (or cut short) request used, as OpenAI reports it: cached ⊆ prompt, reasoning ⊆ completion.
struct TokenUsage {
  uint64_t prompt = 0;
  uint64_t cached = 0;
  uint64_t completion = 0;
  uint64_t reasoning = 0;
  bool operator==(const TokenUsage&) const = default;
};

struct Prices {
  uint64_t price_per_token = 0;       // nanoTON per adjusted token, paid by the client
  uint64_t worker_fee_per_token = 0;  // nanoTON per adjusted token, earned by the worker (≤ price)
  uint32_t prompt_mult = 10000;       // 10000 = 1.0x
  uint32_t cached_mult = 10000;
  uint32_t completion_mult = 10000;
  uint32_t reasoning_mult = 10000;
  bool operator==(const Prices&) const = default;

  static Prices from_params(const ton::contracts::ContractParams& params);
  // Throws std::invalid_argument naming the bad field (fee above price, zero price).
  void validate() const;
};

constexpr uint32_t kCoefficientOne = 1000;  // worker coefficient 1000 = 1.0x

// trunc(n × coef/1000 × mult/10000), exact in 128-bit arithmetic; throws std::overflow_error past 2^64.
uint64_t adjust(uint64_t n, uint32_t coefficient, uint32_t multiplier);

// Adjusted tokens of a usage: each kind priced on its own (prompt − cached at the prompt
// multiplier, cached at the cached one, completion − reasoning, reasoning). Throws
// std::invalid_argument when cached > prompt or reasoning > completion.
uint64_t adjusted_tokens(const TokenUsage& usage, uint32_t coefficient, const Prices& prices);

// The worst case of a request before it runs: every prompt token at the larger of the prompt and
// cached multipliers, max_tokens completion tokens at the larger of completion and reasoning.
// Never below adjusted_tokens() of any usage with prompt ≤ prompt_tokens, completion ≤ max_tokens.
uint64_t reservation_tokens(uint64_t prompt_tokens, uint64_t max_tokens, uint32_t coefficient, const Prices& prices);

// Adjusted tokens → nanoTON (throws std::overflow_error past 2^64).
uint64_t client_cost_nano(uint64_t adjusted, const Prices& prices);
uint64_t worker_fee_nano(uint64_t adjusted, const Prices& prices);
uint64_t commission_nano(uint64_t adjusted, const Prices& prices);

// Checked arithmetic on nanoTON / token counters.
uint64_t checked_add(uint64_t a, uint64_t b);
uint64_t checked_mul(uint64_t a, uint64_t b);

}  // namespace chrysalis::billing
