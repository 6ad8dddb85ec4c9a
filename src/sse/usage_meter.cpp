#include "sse/usage_meter.h"

#include <algorithm>
#include <optional>

namespace chrysalis::sse {
namespace {

using nlohmann::json;

// Usage counts must be non-negative integers; anything else (floats, strings, negatives) is ignored.
std::optional<uint64_t> count_at(const json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (it->is_number_integer()) {
    auto value = it->get<int64_t>();
    if (value >= 0) return static_cast<uint64_t>(value);
  }
  return std::nullopt;
}

bool non_empty_string_at(const json& object, const char* key) {
  if (!object.is_object()) return false;
  auto it = object.find(key);
  return it != object.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
}

uint64_t utf8_bytes_of_content(const json& content) {
  if (content.is_string()) return content.get_ref<const std::string&>().size();
  uint64_t bytes = 0;
  if (content.is_array()) {
    for (const auto& part : content) {
      if (part.is_string())
        bytes += part.get_ref<const std::string&>().size();
      else if (part.is_number())
        bytes += 4;  // a token id given directly: count it as one token
      else if (part.is_object())
        bytes += utf8_bytes_of_content(part.value("text", json()));
      else if (part.is_array())
        bytes += utf8_bytes_of_content(part);
    }
  }
  return bytes;
}

}  // namespace

json to_openai_usage(const Usage& usage) {
  return json{{"prompt_tokens", usage.prompt},
              {"completion_tokens", usage.completion},
              {"total_tokens", usage.prompt + usage.completion},
              {"prompt_tokens_details", {{"cached_tokens", usage.cached}}},
              {"completion_tokens_details", {{"reasoning_tokens", usage.reasoning}}}};
}

void UsageMeter::observe(const json& chunk) {
  if (!chunk.is_object()) return;
  if (auto it = chunk.find("usage"); it != chunk.end() && it->is_object()) take_usage(*it);

  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array()) return;
  bool content = false, reasoning = false;
  for (const auto& choice : *choices) {
    if (!choice.is_object()) continue;
    if (non_empty_string_at(choice, "text")) content = true;
    auto delta = choice.find("delta");
    if (delta == choice.end()) continue;
    if (non_empty_string_at(*delta, "content")) content = true;
    // A tool call's name and arguments are generated tokens like any text.
    if (auto calls = delta->find("tool_calls"); calls != delta->end() && calls->is_array() && !calls->empty())
      content = true;
    // vLLM/SGLang/llama.cpp call it reasoning_content; newer vLLM also "reasoning".
    if (non_empty_string_at(*delta, "reasoning_content") || non_empty_string_at(*delta, "reasoning")) reasoning = true;
  }
  // Engines send about one token per chunk; a chunk is one token however many fields it fills.
  if (content || reasoning) ++counted_completion_;
  if (reasoning) ++counted_reasoning_;
}

void UsageMeter::take_usage(const json& usage) {
  // Some engines repeat cumulative usage in every chunk: keep the largest value seen.
  auto take = [&](std::optional<uint64_t> value, uint64_t& into, bool* flag) {
    if (!value) return;
    into = std::max(into, *value);
    reported_any_ = true;
    if (flag) *flag = true;
  };
  take(count_at(usage, "prompt_tokens"), prompt_, &reported_prompt_);
  take(count_at(usage, "completion_tokens"), completion_, &reported_completion_);
  if (auto details = usage.find("prompt_tokens_details"); details != usage.end())
    take(count_at(*details, "cached_tokens"), cached_, nullptr);
  if (auto details = usage.find("completion_tokens_details"); details != usage.end())
    take(count_at(*details, "reasoning_tokens"), reasoning_, nullptr);
  take(count_at(usage, "reasoning_tokens"), reasoning_, nullptr);
}

Usage UsageMeter::result(uint64_t prompt_estimate) const {
  Usage usage;
  usage.prompt = reported_prompt_ ? prompt_ : prompt_estimate;
  usage.cached = cached_;
  usage.completion = std::max(completion_, counted_completion_);
  usage.reasoning = std::max(reasoning_, counted_reasoning_);
  usage.estimated = !reported_prompt_ || !reported_completion_ || counted_completion_ > completion_;
  // Keep the parts inside their wholes whatever the engine claimed.
  usage.cached = std::min(usage.cached, usage.prompt);
  usage.reasoning = std::min(usage.reasoning, usage.completion);
  return usage;
}

uint64_t estimate_prompt_tokens(const json& request_body) {
  constexpr uint64_t kTokensPerMessage = 4;  // role markers and separators of chat templates
  constexpr uint64_t kReplyPriming = 3;      // the assistant header the template appends
  uint64_t bytes = 0, framing = 0;
  if (!request_body.is_object()) return 1;
  if (auto messages = request_body.find("messages"); messages != request_body.end() && messages->is_array()) {
    for (const auto& message : *messages) {
      framing += kTokensPerMessage;
      if (message.is_object()) bytes += utf8_bytes_of_content(message.value("content", json()));
    }
    framing += kReplyPriming;
  }
  if (auto prompt = request_body.find("prompt"); prompt != request_body.end()) bytes += utf8_bytes_of_content(*prompt);
  // Embeddings: text inputs by their bytes, token-id inputs by their count.
  uint64_t token_ids = 0;
  if (auto input = request_body.find("input"); input != request_body.end()) {
    auto count = [&](const json& item) {
      if (item.is_string())
        bytes += item.get_ref<const std::string&>().size();
      else if (item.is_number())
        ++token_ids;
      else if (item.is_array())
        token_ids += item.size();
    };
    if (input->is_array()) {
      for (const auto& item : *input) count(item);
    } else {
      count(*input);
    }
  }
  if (token_ids) return std::max<uint64_t>(1, (bytes + 3) / 4 + token_ids);
  return std::max<uint64_t>(1, (bytes + 3) / 4) + framing;
}

}  // namespace chrysalis::sse
