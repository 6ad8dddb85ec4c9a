#pragma once
// POST /v1/responses is served by the chat-completions path: this turns a Responses request into
// a chat-completions body, and keeps the fields the Response object repeats back to the app.
#include <nlohmann/json.hpp>

#include <cstddef>

namespace chrysalis::api {

// OpenAI's own limit on the items of one Responses input.
inline constexpr std::size_t kMaxResponsesInputItems = 4096;

struct ResponsesRequest {
  // A /v1/chat/completions body, to be validated like any app's (ranges, tools, max_tokens cap).
  nlohmann::json chat_body;
  // What the Response object repeats, complete with defaults: background, instructions,
  // max_output_tokens, max_tool_calls, metadata, parallel_tool_calls, previous_response_id,
  // reasoning, service_tier, store, temperature, text, tool_choice, tools (Responses shape),
  // top_logprobs, top_p, truncation, and user, safety_identifier, prompt_cache_key when given.
  nlohmann::json echo;
  bool stream = false;
};

// Throws checks::Reject (400 naming the Responses field, e.g. param "input[2].content") on bad
// input and on features the network does not offer (stored state, built-in tools, non-text input).
ResponsesRequest translate_responses_request(const nlohmann::json& body);

}  // namespace chrysalis::api
