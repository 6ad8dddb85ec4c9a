#include "api/openai_error.h"

namespace chrysalis::api {
namespace {

ApiError make(int status, std::string type, std::string code, std::string message, std::string param = {}) {
  return ApiError{status, std::move(type), std::move(code), std::move(message), std::move(param)};
}

std::string hop_message(std::string_view hop, std::string_view detail) {
  std::string message(hop);
  message += ": ";
  message += detail;
  return message;
}

}  // namespace

nlohmann::json ApiError::to_json() const {
  nlohmann::json error{{"message", message}, {"type", type}};
  error["code"] = code.empty() ? nlohmann::json() : nlohmann::json(code);
  error["param"] = param.empty() ? nlohmann::json() : nlohmann::json(param);
  return nlohmann::json{{"error", std::move(error)}};
}

std::string ApiError::sse_event() const { return "data: " + body() + "\n\n"; }

ApiError invalid_request(std::string code, std::string message, std::string param, int status) {
  return make(status, "invalid_request_error", std::move(code), std::move(message), std::move(param));
}

ApiError unknown_endpoint(std::string_view method, std::string_view path) {
  return invalid_request("unknown_endpoint",
                         "unknown endpoint " + std::string(method) + " " + std::string(path) +
                             " (supported: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /v1/models/{id})",
                         {}, 404);
}

ApiError payload_too_large(std::size_t limit_bytes) {
  return invalid_request("payload_too_large",
                         "request body exceeds the limit of " + std::to_string(limit_bytes) + " bytes", {}, 413);
}

ApiError invalid_api_key(std::string message) {
  return make(401, "invalid_request_error", "invalid_api_key", std::move(message));
}

ApiError insufficient_balance(std::string message) {
  return make(402, "insufficient_quota", "insufficient_balance", std::move(message));
}

ApiError rate_limited(std::string message) {
  return make(429, "rate_limit_error", "rate_limit_exceeded", std::move(message));
}

ApiError internal_error(std::string message) { return make(500, "server_error", "internal_error", std::move(message)); }

ApiError bad_gateway(std::string_view hop, std::string_view detail) {
  return make(502, "upstream_error", "bad_gateway", hop_message(hop, detail));
}

ApiError service_unavailable(std::string_view hop, std::string_view detail) {
  return make(503, "upstream_error", "service_unavailable", hop_message(hop, detail));
}

ApiError gateway_timeout(std::string_view hop, std::string_view detail) {
  return make(504, "upstream_error", "gateway_timeout", hop_message(hop, detail));
}

}  // namespace chrysalis::api
