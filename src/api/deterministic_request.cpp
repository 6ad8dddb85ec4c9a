#include "api/deterministic_request.h"

namespace chrysalis::api {

bool is_deterministic_request(const nlohmann::json& body) {
  if (!body.is_object()) return false;
  if (body.contains("seed") && body["seed"].is_number_integer()) return true;
  auto t = body.find("temperature");
  return t != body.end() && t->is_number() && t->get<double>() == 0.0;
}

bool assign_seed(nlohmann::json& body, uint32_t seed) {
  if (!body.is_object() || (body.contains("seed") && body["seed"].is_number_integer())) return false;
  body["seed"] = seed;
  return true;
}

}  // namespace chrysalis::api
