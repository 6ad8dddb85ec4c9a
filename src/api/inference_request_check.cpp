#include "api/inference_request_check.h"

#include <algorithm>

#include "api/openai_request.h"
#include "common/json_bounded.h"

namespace chrysalis::api {
namespace {

RequestRefusal refusal(std::string code, std::string message) { return {400, std::move(code), std::move(message)}; }

bool printable_id(const std::string& id) {
  return std::all_of(id.begin(), id.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

// An e2e request's envelope: the body is sealed, so only what the client declared about it is
// checked here; the worker checks the declarations against the body once it has opened it.
std::optional<RequestRefusal> check_e2e_envelope(const proto::InferenceRequest& request, nlohmann::json& body) {
  if (!request.body().empty()) return refusal("invalid_body", "an e2e request carries no plaintext body");
  if (request.model().empty() || request.model().size() > 256 || !printable_id(request.model()))
    return refusal("invalid_model", "'model' must be 1 to 256 printable ASCII characters without spaces");
  if (request.body_bytes() == 0) return refusal("invalid_body", "'body_bytes' must be the sealed body's size, not 0");
  body = nlohmann::json{{"model", request.model()}};
  return std::nullopt;
}

}  // namespace

std::optional<RequestRefusal> check_sealed_body(const proto::InferenceRequest& request,
                                                const proto::SealedBody& sealed) {
  if (sealed.enc().size() != kSealedEncBytes)
    return refusal("invalid_sealed_body", "'enc' must be " + std::to_string(kSealedEncBytes) + " bytes, got " +
                                              std::to_string(sealed.enc().size()));
  if (sealed.ciphertext().size() != request.body_bytes() + kSealedTagBytes)
    return refusal("invalid_sealed_body", "the sealed body is " + std::to_string(sealed.ciphertext().size()) +
                                              " bytes; 'body_bytes' " + std::to_string(request.body_bytes()) +
                                              " makes it " + std::to_string(request.body_bytes() + kSealedTagBytes));
  return std::nullopt;
}

std::optional<RequestRefusal> check_inference_request(const proto::InferenceRequest& request,
                                                      const InferenceRequestBounds& bounds, nlohmann::json& body) {
  if (request.request_id().empty() || request.request_id().size() > 128 || !printable_id(request.request_id()))
    return refusal("invalid_request_id", "'request_id' must be 1 to 128 printable ASCII characters");
  if (request.resume_of().size() > 128 || !printable_id(request.resume_of()))
    return refusal("invalid_resume_of", "'resume_of' must be at most 128 printable ASCII characters");
  auto kind = api_kind_for_path(request.path());
  if (!kind)
    return refusal("invalid_path", "'path' must be /v1/chat/completions, /v1/completions or /v1/embeddings, got '" +
                                       request.path().substr(0, 64) + "'");
  // Embeddings generate nothing, so they hold and bill no completion tokens.
  if (*kind == ApiKind::Embedding && request.max_tokens() != 0)
    return refusal("invalid_max_tokens",
                   "'max_tokens' must be 0 for /v1/embeddings, got " + std::to_string(request.max_tokens()));
  if (*kind != ApiKind::Embedding && (request.max_tokens() == 0 || request.max_tokens() > bounds.max_tokens_limit))
    return refusal("invalid_max_tokens", "'max_tokens' must be between 1 and " +
                                             std::to_string(bounds.max_tokens_limit) + ", got " +
                                             std::to_string(request.max_tokens()));
  if (*kind == ApiKind::Embedding && !request.resume_of().empty())
    return refusal("invalid_resume_of", "an embeddings request has nothing to resume");
  if (request.timeout_ms() > bounds.max_timeout_ms)
    return refusal("invalid_timeout", "'timeout_ms' must be at most " + std::to_string(bounds.max_timeout_ms) +
                                          ", got " + std::to_string(request.timeout_ms()));
  if (request.ttft_deadline_ms() > bounds.max_timeout_ms)
    return refusal("invalid_ttft_deadline", "'ttft_deadline_ms' must be at most " +
                                                std::to_string(bounds.max_timeout_ms) + ", got " +
                                                std::to_string(request.ttft_deadline_ms()));
  if (request.prompt_tokens_estimate() > prompt_token_bound(request))
    return refusal("invalid_prompt_estimate",
                   "'prompt_tokens_estimate' " + std::to_string(request.prompt_tokens_estimate()) +
                       " exceeds what the body can hold (" + std::to_string(prompt_token_bound(request)) + ")");
  uint64_t body_bytes = request.e2e() ? request.body_bytes() : request.body().size();
  if (body_bytes > bounds.max_body_bytes)
    return RequestRefusal{413, "body_too_large",
                          "request body is " + std::to_string(body_bytes) + " bytes; the limit is " +
                              std::to_string(bounds.max_body_bytes)};
  if (request.e2e()) return check_e2e_envelope(request, body);
  if (request.has_sealed()) return refusal("invalid_body", "'sealed' is only for e2e requests");
  auto parsed = parse_json_bounded(request.body(), {.max_bytes = bounds.max_body_bytes});
  if (!parsed.ok()) return refusal("invalid_body", "request body " + parsed.error);
  if (!parsed.value.is_object()) return refusal("invalid_body", "request body must be a JSON object");
  body = std::move(parsed.value);
  return std::nullopt;
}

uint64_t prompt_token_bound(const proto::InferenceRequest& request) {
  return std::max<uint64_t>(request.body().size(), request.e2e() ? request.body_bytes() : 0) + kPromptFramingTokens;
}

bool clamp_usage(proto::Usage& usage, const proto::InferenceRequest& request) {
  proto::Usage before = usage;
  usage.set_prompt_tokens(std::min(usage.prompt_tokens(), prompt_token_bound(request)));
  usage.set_cached_tokens(std::min(usage.cached_tokens(), usage.prompt_tokens()));
  usage.set_completion_tokens(std::min<uint64_t>(usage.completion_tokens(), request.max_tokens()));
  usage.set_reasoning_tokens(std::min(usage.reasoning_tokens(), usage.completion_tokens()));
  return usage.prompt_tokens() != before.prompt_tokens() || usage.cached_tokens() != before.cached_tokens() ||
         usage.completion_tokens() != before.completion_tokens() ||
         usage.reasoning_tokens() != before.reasoning_tokens();
}

}  // namespace chrysalis::api
