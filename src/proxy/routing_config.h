#pragma once
#include <cstdint>
#include <string>

namespace chrysalis {
class TomlReader;
}

namespace chrysalis::proxy {

// The proxy's [routing] section.
struct RoutingConfig {
  std::string policy = "ours";          // random | round_robin | reference | ours
  // The stall limits scale with what the chosen worker is expected to take for this prompt (its
  // measured first-token time x prompt size x load, routing_deadline.h): a fixed limit either
  // hedges every long prompt or waits far too long on a short one. Each is max(floor, factor x
  // predicted first token); a floor of 0 turns the mechanism off.
  uint32_t first_token_timeout_ms = 10'000;  // floor: no token by then, cancel and retry elsewhere
  double first_token_factor = 4;
  uint32_t hedge_after_ms = 1'000;  // floor: no token by then, race a duplicate on a second worker
  double hedge_factor = 2;
  double spot_check_rate = 0.02;         // share of requests re-run on a second worker (all are checkable)
  uint32_t affinity_prefix_chars = 1024;  // prompt prefix that pins a request to its last worker; 0 = off
  double reputation_half_life_s = 300;  // how fast old evidence fades
  double trial_share = 0.05;            // ours: share of requests that measure an idle new worker
};

// A stall limit in ms: max(floor, factor x predicted), at most an hour; 0 when the floor is 0 (off).
uint32_t stall_limit_ms(uint32_t floor_ms, double factor, double predicted_ms);

// Reads [routing]; throws with the key named for a bad value (an unknown policy included).
RoutingConfig load_routing_config(const TomlReader& r);

}  // namespace chrysalis::proxy
