#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>

namespace chrysalis::sse {

// Token counts of one request. Reasoning tokens are part of completion tokens and cached
// tokens part of prompt tokens, as in OpenAI's usage object.
struct Usage {
  uint64_t prompt = 0, cached = 0, completion = 0, reasoning = 0;
  bool estimated = false;  // some number is our own count, not the engine's report
  bool operator==(const Usage&) const = default;
};

// OpenAI's usage object: prompt_tokens, completion_tokens, total_tokens,
// prompt_tokens_details.cached_tokens, completion_tokens_details.reasoning_tokens.
nlohmann::json to_openai_usage(const Usage& usage);

// Watches the JSON chunks of one streamed OpenAI response (chat.completion.chunk or
// text_completion) and settles how many tokens it used. The engine's own `usage` report wins,
// but we also count content-carrying chunks ourselves so that an engine that reports nothing,
// or too little, is never billed below what it visibly produced.
class UsageMeter {
 public:
  void observe(const nlohmann::json& chunk);

  uint64_t counted_completion_tokens() const { return counted_completion_; }
  uint64_t counted_reasoning_tokens() const { return counted_reasoning_; }
  bool engine_reported() const { return reported_any_; }

  // prompt_estimate is used only when the engine did not report prompt tokens.
  Usage result(uint64_t prompt_estimate) const;

 private:
  void take_usage(const nlohmann::json& usage);

  bool reported_any_ = false;
  bool reported_prompt_ = false;
  bool reported_completion_ = false;
  uint64_t prompt_ = 0, cached_ = 0, completion_ = 0, reasoning_ = 0;
  uint64_t counted_completion_ = 0, counted_reasoning_ = 0;
};

// Rough prompt size for a request whose engine reports no usage: UTF-8 bytes of all message
// contents (or the prompt) / 4, at least 1, plus a few tokens of chat framing per message.
uint64_t estimate_prompt_tokens(const nlohmann::json& request_body);

}  // namespace chrysalis::sse
