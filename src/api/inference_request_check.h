#pragma once
// An InferenceRequest as it arrives from a peer, checked by the hop that receives it (the proxy
// from a client, the worker from a proxy): neither trusts that the sender validated it. Also the
// bounds on what a worker may claim it used, derived from what was reserved for the request.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "chrysalis.pb.h"

namespace chrysalis::api {

// Template tokens a chat prompt may add beyond its bytes; a prompt never has more tokens than
// bytes, so body bytes + this bounds the prompt of any request.
constexpr uint64_t kPromptFramingTokens = 128;

// Sanity bound on a request's own timeout; each node's configured timeout applies below it.
constexpr uint32_t kMaxRequestTimeoutMs = 3600 * 1000;

struct InferenceRequestBounds {
  uint32_t max_tokens_limit = 32768;
  std::size_t max_body_bytes = 8 << 20;
  uint32_t max_timeout_ms = kMaxRequestTimeoutMs;
};

struct RequestRefusal {
  uint32_t http_status = 400;
  std::string code;     // invalid_path, invalid_max_tokens, invalid_body, ...
  std::string message;  // names the field and the bound
};

// The refusal, or nullopt with `body` holding the parsed JSON object. An e2e request has no
// plaintext body: its declared model, size and flags are checked, and `body` holds only the model.
std::optional<RequestRefusal> check_inference_request(const proto::InferenceRequest& request,
                                                      const InferenceRequestBounds& bounds, nlohmann::json& body);

// An e2e body as sealed (crypto/e2e_channel.h): an X25519 ephemeral key, and the plaintext's
// size plus the AEAD tag.
constexpr std::size_t kSealedEncBytes = 32;
constexpr std::size_t kSealedTagBytes = 16;
// Whether `sealed` can be the body `request` declares (e2e: 'body_bytes').
std::optional<RequestRefusal> check_sealed_body(const proto::InferenceRequest& request,
                                                const proto::SealedBody& sealed);

// The most prompt tokens the request can have: what billing reserves for it.
uint64_t prompt_token_bound(const proto::InferenceRequest& request);

// Clamps what a worker reports to what the request could have used: prompt within the bound,
// completion within max_tokens, cached ≤ prompt, reasoning ≤ completion. True when it changed.
bool clamp_usage(proto::Usage& usage, const proto::InferenceRequest& request);

}  // namespace chrysalis::api
