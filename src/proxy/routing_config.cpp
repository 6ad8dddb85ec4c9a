#include "proxy/routing_config.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "common/toml_reader.h"
#include "proxy/routing_selection_policy.h"

namespace chrysalis::proxy {
namespace {

// A multiple of the predicted first-token time; below 1 it would fire before a worker running
// exactly as predicted could answer.
double stall_factor(const TomlReader& r, const std::string& key, double fallback) {
  double f = r.number(key, fallback);
  if (!(f >= 1 && f <= 100)) throw std::invalid_argument(key + " must be between 1 and 100");
  return f;
}

}  // namespace

uint32_t stall_limit_ms(uint32_t floor_ms, double factor, double predicted_ms) {
  if (floor_ms == 0) return 0;
  double scaled = factor * predicted_ms;
  return scaled > floor_ms ? static_cast<uint32_t>(std::min(scaled, 3'600'000.0)) : floor_ms;
}

RoutingConfig load_routing_config(const TomlReader& r) {
  RoutingConfig c;
  c.policy = r.string("routing.policy", c.policy);
  if (c.policy == "oracle") throw std::invalid_argument("routing.policy: 'oracle' exists only in the simulator");
  try {
    make_selection_policy(c.policy);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("routing.policy: ") + e.what());
  }
  c.first_token_timeout_ms =
      static_cast<uint32_t>(r.integer("routing.first_token_timeout_ms", c.first_token_timeout_ms, 0, 3'600'000));
  c.first_token_factor = stall_factor(r, "routing.first_token_factor", c.first_token_factor);
  c.hedge_after_ms = static_cast<uint32_t>(r.integer("routing.hedge_after_ms", c.hedge_after_ms, 0, 3'600'000));
  c.hedge_factor = stall_factor(r, "routing.hedge_factor", c.hedge_factor);
  c.spot_check_rate = r.number("routing.spot_check_rate", c.spot_check_rate);
  if (!(c.spot_check_rate >= 0 && c.spot_check_rate <= 1))
    throw std::invalid_argument("routing.spot_check_rate must be between 0 and 1");
  c.affinity_prefix_chars =
      static_cast<uint32_t>(r.integer("routing.affinity_prefix_chars", c.affinity_prefix_chars, 0, 1'000'000));
  c.reputation_half_life_s = r.number("routing.reputation_half_life_s", 300);
  if (!(c.reputation_half_life_s > 0)) throw std::invalid_argument("routing.reputation_half_life_s must be > 0");
  c.trial_share = r.number("routing.trial_share", c.trial_share);
  if (!(c.trial_share >= 0 && c.trial_share <= 1))
    throw std::invalid_argument("routing.trial_share must be between 0 and 1");
  return c;
}

}  // namespace chrysalis::proxy
