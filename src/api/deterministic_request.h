#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>

namespace chrysalis::api {

// A request two honest workers of one model answer alike: temperature 0 or a fixed seed. Only
// these can be spot-checked; the client flags them (e2e) and the worker holds the flag to its body.
bool is_deterministic_request(const nlohmann::json& body);

// Makes a generation body reproducible: one without an integer seed gets `seed` (the client draws
// it fresh per request, so answers vary as much as unseeded ones would). Then every request can be
// spot-checked by rerunning it, and a worker cannot tell the checkable ones from the rest.
// Returns false when the body already had a seed (or is not an object).
bool assign_seed(nlohmann::json& body, uint32_t seed);

}  // namespace chrysalis::api
