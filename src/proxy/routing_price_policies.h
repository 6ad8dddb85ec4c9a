#pragma once
// Price-aware selection policies, the baselines that price and deadline terms are measured
// against (bench/routing-sim): what a market that sorts by price or by latency would do.
#include <memory>

#include "proxy/routing_selection_policy.h"

namespace chrysalis::proxy {

// "cheapest": the lowest coefficient; among equals the soonest predicted first token.
std::unique_ptr<SelectionPolicy> make_cheapest_policy(PolicyParams params);
// "fastest": the soonest predicted first token, whatever it costs.
std::unique_ptr<SelectionPolicy> make_fastest_policy(PolicyParams params);
// "price_weighted": random, weighted by the inverse square of the price (the load balancing an
// OpenRouter-style marketplace does by default), so cheap workers get most of the traffic.
std::unique_ptr<SelectionPolicy> make_price_weighted_policy();

}  // namespace chrysalis::proxy
