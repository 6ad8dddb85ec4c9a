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
  uint32_t first_token_timeout_ms = 0;  // retry elsewhere when no token came by then; 0 = off
  uint32_t hedge_after_ms = 0;          // no first token by then: race a duplicate on a second worker; 0 = off
  double spot_check_rate = 0;           // share of deterministic requests checked on a second worker
  uint32_t affinity_prefix_chars = 0;   // prompt prefix that pins a request to its last worker; 0 = off
  double reputation_half_life_s = 300;  // how fast old evidence fades
  double trial_share = 0.05;            // ours: share of requests that measure an idle new worker
};

// Reads [routing]; throws with the key named for a bad value (an unknown policy included).
RoutingConfig load_routing_config(const TomlReader& r);

}  // namespace chrysalis::proxy
