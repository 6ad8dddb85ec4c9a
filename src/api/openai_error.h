#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace chrysalis::api {

// An error in OpenAI's shape. Apps and SDKs read `error.message`/`type`/`code`, so every
// failure a node reports over HTTP goes through this type.
struct ApiError {
  int status = 500;
  std::string type;     // "invalid_request_error", "server_error", "upstream_error", ...
  std::string code;     // short snake_case name, e.g. "invalid_json"
  std::string message;  // names the field or the hop and the problem
  std::string param;    // the offending request field, "" when none (serialized as null)
  uint32_t retry_after_s = 0;  // 429/503: the Retry-After a hop said (0: the default of 1 s)

  // {"error":{"message","type","code","param"}}
  nlohmann::json to_json() const;
  // Messages quote what the peer sent (a path, a cut-off value) and need not be valid UTF-8: such
  // bytes become U+FFFD instead of making dump() throw.
  std::string body() const { return to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }
  // The same object as one SSE event ("data: {...}\n\n"), for failures after streaming began.
  std::string sse_event() const;
};

// 400 invalid_request_error with the given code; status may be overridden (404, 413, ...).
ApiError invalid_request(std::string code, std::string message, std::string param = {}, int status = 400);
ApiError unknown_endpoint(std::string_view method, std::string_view path);  // 404
ApiError payload_too_large(std::size_t limit_bytes);                        // 413
ApiError invalid_api_key(
    std::string message = "invalid or missing API key (expected Authorization: Bearer <key>)");  // 401
ApiError insufficient_balance(std::string message);                                              // 402
ApiError rate_limited(std::string message);                                                      // 429
ApiError internal_error(std::string message = "internal server error");                          // 500 server_error
// 502/503/504 upstream_error; the message starts with the hop that failed, e.g. "worker: ...".
ApiError bad_gateway(std::string_view hop, std::string_view detail);          // 502 "bad_gateway"
ApiError service_unavailable(std::string_view hop, std::string_view detail);  // 503 "service_unavailable"
ApiError gateway_timeout(std::string_view hop, std::string_view detail);      // 504 "gateway_timeout"

}  // namespace chrysalis::api
