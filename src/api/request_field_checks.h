#pragma once
// The building blocks of request validation: each check either returns or throws Reject carrying
// the 400 that names the field, so validators read as straight-line code and catch once at the top.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "api/openai_error.h"

namespace chrysalis::api::checks {

struct Reject {
  ApiError error;
};

[[noreturn]] void reject(std::string code, std::string message, std::string param);
[[noreturn]] void wrong_type(const std::string& param, const char* expected, const nlohmann::json& got);
// A feature the network does not offer: 400 unsupported_parameter naming `key`, saying why.
[[noreturn]] void refuse(const char* key, const std::string& why);

const char* type_name(const nlohmann::json& value);
// The value as JSON, cut to about 40 characters for error messages.
std::string shown(const nlohmann::json& value);
// Integers may arrive as whole floats (100.0) from some clients; fractions are not integers.
std::optional<int64_t> as_integer(const nlohmann::json& value);
// Optional fields may be absent or null; both mean "not given" (nullptr).
const nlohmann::json* field(const nlohmann::json& body, const char* key);

void check_number_range(const nlohmann::json& body, const char* key, double lo, double hi);
int64_t check_integer_range(const nlohmann::json& value, const std::string& param, int64_t lo, int64_t hi);
void check_bool(const nlohmann::json& body, const char* key, const std::string& param);

}  // namespace chrysalis::api::checks
