// libFuzzer target: the JSON body an app posts to the client node (api/openai_request.h), checked
// for both completion endpoints, embeddings, and /v1/responses as the chat request it becomes. A
// refusal must be a 4xx whose OpenAI-shaped body can be sent; an accepted request must carry the settled fields
// (max_tokens within the limit, streaming forced), and its normalized body, as the client forwards it, must validate
// again to the very same body (normalizing is idempotent). The client's prompt estimate runs on it too.
//
// Known and fixed elsewhere: JSON nested thousands deep overflows the stack in nlohmann's recursive
// dump()/copy. Until validate() refuses such nesting itself (common/json_bounded), inputs nested
// deeper than kDepthCap are skipped here so that the fuzzer looks for other bugs.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "api/embedding_request.h"
#include "api/openai_request.h"
#include "api/responses_as_chat.h"
#include "fuzz_support.h"
#include "sse/usage_meter.h"

using namespace chrysalis;

namespace {

constexpr int kDepthCap = 100;

// Bracket nesting outside JSON strings; an estimate is enough (invalid JSON is refused anyway).
int nesting(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// An embeddings request generates nothing and answers one object: no budget, no stream.
void check_embedding(const api::ValidatedRequest& request, const api::ValidationLimits& limits) {
  const auto& body = request.body;
  if (request.kind != api::ApiKind::Embedding || request.max_tokens != 0 || request.stream) __builtin_trap();
  if (request.inputs < 1 || request.inputs > api::kMaxEmbeddingInputs) __builtin_trap();
  if (body.contains("stream") || body.contains("timeout") || body.contains("max_coefficient")) __builtin_trap();
  if (sse::estimate_prompt_tokens(body) < 1) __builtin_trap();
  auto again = api::validate_openai_request("/v1/embeddings", body.dump(), limits);
  const auto* second = std::get_if<api::ValidatedRequest>(&again);
  if (!second || second->body != body || second->inputs != request.inputs) __builtin_trap();
}

void check_accepted(std::string_view path, const api::ValidatedRequest& request, const api::ValidationLimits& limits) {
  if (path == "/v1/embeddings") return check_embedding(request, limits);
  const auto& body = request.body;
  if (request.max_tokens < 1 || request.max_tokens > limits.max_tokens_limit) __builtin_trap();
  // max_tokens in the body is per choice; the request's budget covers every choice.
  if (request.choices < 1 || request.choices > api::kMaxChoices) __builtin_trap();
  if (body.at("max_tokens").get<uint64_t>() * request.choices != request.max_tokens) __builtin_trap();
  if (body.contains("max_completion_tokens")) __builtin_trap();
  // What goes upstream is the same body, whatever key order it keeps.
  if (nlohmann::json::parse(api::forwarded_body(request)) != body) __builtin_trap();
  if (body.at("stream") != true || body.at("stream_options").at("include_usage") != true) __builtin_trap();
  if (body.contains("timeout") || body.contains("max_coefficient") || body.contains("max_price") ||
      body.contains("ttft_deadline_ms"))
    __builtin_trap();
  if (request.timeout_ms < 1000 || request.timeout_ms > limits.max_timeout_s * 1000) __builtin_trap();
  if (request.model.empty() || body.at("model") != request.model) __builtin_trap();
  (void)sse::estimate_prompt_tokens(body);
  const std::string normalized = body.dump();
  auto again = api::validate_openai_request(path, normalized, limits);
  const auto* second = std::get_if<api::ValidatedRequest>(&again);
  if (!second || second->body.dump() != normalized || second->max_tokens != request.max_tokens) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  if (nesting(text) > kDepthCap) return 0;
  const api::ValidationLimits limits;
  for (std::string_view path : {"/v1/chat/completions", "/v1/completions", "/v1/embeddings"}) {
    auto result = api::validate_openai_request(path, text, limits);
    if (const auto* error = std::get_if<api::ApiError>(&result)) {
      if (error->status != 400 || error->message.empty()) __builtin_trap();
      (void)error->body();  // what the app receives
      continue;
    }
    check_accepted(path, std::get<api::ValidatedRequest>(result), limits);
  }
  // /v1/responses: refused with a 400, or translated into a chat request that holds like any other.
  auto responses = api::responses_as_chat(text, limits);
  if (const auto* error = std::get_if<api::ApiError>(&responses)) {
    if (error->status != 400 || error->message.empty()) __builtin_trap();
    (void)error->body();
  } else {
    check_accepted("/v1/chat/completions", std::get<api::ResponsesAsChat>(responses).chat, limits);
  }
  return 0;
}
