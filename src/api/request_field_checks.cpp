#include "api/request_field_checks.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace chrysalis::api::checks {

using nlohmann::json;

[[noreturn]] void reject(std::string code, std::string message, std::string param) {
  throw Reject{invalid_request(std::move(code), std::move(message), std::move(param))};
}

const char* type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    case json::value_t::number_float:
      return "number";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    default:
      return "value";
  }
}

std::string shown(const json& value) {
  auto text = value.dump();
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

[[noreturn]] void wrong_type(const std::string& param, const char* expected, const json& got) {
  reject("invalid_type", "'" + param + "' must be " + expected + ", got " + type_name(got), param);
}

std::optional<int64_t> as_integer(const json& value) {
  if (value.is_number_unsigned()) {
    auto u = value.get<uint64_t>();
    return u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? std::numeric_limits<int64_t>::max()
                                                                          : static_cast<int64_t>(u);
  }
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (!std::isfinite(d) || std::floor(d) != d) return std::nullopt;
    if (d >= 9.2e18) return std::numeric_limits<int64_t>::max();
    if (d <= -9.2e18) return std::numeric_limits<int64_t>::min();
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

const json* field(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

namespace {
std::string format_number(double d) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", d);
  return text;
}
}  // namespace

void check_number_range(const json& body, const char* key, double lo, double hi) {
  const json* value = field(body, key);
  if (!value) return;
  auto range = format_number(lo) + " and " + format_number(hi);
  if (!value->is_number()) wrong_type(key, ("a number between " + range).c_str(), *value);
  double d = value->get<double>();
  if (!(d >= lo && d <= hi))
    reject("invalid_value", "'" + std::string(key) + "' must be between " + range + ", got " + shown(*value), key);
}

int64_t check_integer_range(const json& value, const std::string& param, int64_t lo, int64_t hi) {
  auto integer = as_integer(value);
  if (!integer) wrong_type(param, "an integer", value);
  if (*integer < lo || *integer > hi)
    reject("invalid_value",
           "'" + param + "' must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got " +
               shown(value),
           param);
  return *integer;
}

void check_bool(const json& body, const char* key, const std::string& param) {
  const json* value = field(body, key);
  if (value && !value->is_boolean()) wrong_type(param, "a boolean", *value);
}

void refuse(const char* key, const std::string& why) {
  reject("unsupported_parameter", "'" + std::string(key) + "' is not supported: " + why, key);
}

}  // namespace chrysalis::api::checks
