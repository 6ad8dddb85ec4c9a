#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "api/openai_error.h"

namespace chrysalis::api {

enum class ApiKind { Chat, Completion, Embedding };

// A request that passed validation, with the fields the network routes and bills on.
struct ValidatedRequest {
  ApiKind kind = ApiKind::Chat;
  std::string model;
  // Normalized body, forwarded upstream: max_tokens set (max_completion_tokens folded in),
  // stream:true and stream_options.include_usage:true forced, Chrysalis extensions removed.
  nlohmann::json body;
  // The app's body in its own key order, kept when nested order means something to the engine
  // (a JSON schema's properties are generated in order); forwarded_body() merges the two.
  std::optional<nlohmann::ordered_json> app_order;
  // The completion tokens the whole request may use, max_tokens for each of `choices` (n): what
  // every hop reserves, bounds and bills by. The body keeps max_tokens for one choice.
  uint32_t max_tokens = 0;
  uint32_t choices = 1;
  uint32_t inputs = 0;         // embeddings: how many inputs, so how many vectors the answer holds
  bool base64 = false;         // embeddings: the app asked for encoding_format "base64"
  uint32_t dimensions = 0;     // embeddings: the vector length the app asked for (0: the model's)
  bool stream = false;         // what the app asked for; the network itself always streams
  bool include_usage = false;  // app wants the usage chunk in its stream
  uint32_t max_coefficient = 4000;
  uint64_t max_price = 0;         // nanoTON per 1,000 adjusted tokens the app pays at most (0: no cap)
  uint32_t ttft_deadline_ms = 0;  // the first token wanted within this (0: no deadline)
  uint32_t timeout_ms = 120000;
};

// n is at most this: each choice is a generation of its own on the worker.
inline constexpr int64_t kMaxChoices = 16;

struct ValidationLimits {
  uint32_t default_max_tokens = 1000;
  uint32_t max_tokens_limit = 32768;
  uint32_t max_timeout_s = 600;
};

// The body to send upstream: `body`, with response_format and tools in the app's key order.
std::string forwarded_body(const ValidatedRequest& request);

// /v1/chat/completions -> Chat, /v1/completions -> Completion, /v1/embeddings -> Embedding,
// anything else -> nullopt.
std::optional<ApiKind> api_kind_for_path(std::string_view path);

// Checks an OpenAI request the way an app expects: a clear 400 naming the field for bad input,
// 404 for unknown paths. `path` excludes the query string.
std::variant<ValidatedRequest, ApiError> validate_openai_request(std::string_view path, std::string_view body,
                                                                 const ValidationLimits& limits = {});

}  // namespace chrysalis::api
