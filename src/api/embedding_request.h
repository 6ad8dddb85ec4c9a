#pragma once
// POST /v1/embeddings requests: the input shapes OpenAI takes, bounded, and the few options.
#include <nlohmann/json.hpp>

#include <cstdint>

#include "api/openai_request.h"

namespace chrysalis::api {

// OpenAI's limit on inputs in one embeddings request.
inline constexpr std::size_t kMaxEmbeddingInputs = 2048;

// Checks `input`, `encoding_format`, `dimensions` and `user` (throws checks::Reject naming the
// field) and records on `out` how many vectors the answer must hold and in which encoding.
// Embeddings generate nothing: max_tokens is 0 and the answer is one JSON object, never a stream.
void settle_embedding_body(nlohmann::json& body, ValidatedRequest& out);

}  // namespace chrysalis::api
