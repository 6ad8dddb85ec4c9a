#pragma once
#include <nlohmann/json.hpp>

namespace chrysalis::api {

// A request two honest workers of one model answer alike: temperature 0 or a fixed seed. Only
// these can be spot-checked; the client flags them (e2e) and the worker holds the flag to its body.
bool is_deterministic_request(const nlohmann::json& body);

}  // namespace chrysalis::api
