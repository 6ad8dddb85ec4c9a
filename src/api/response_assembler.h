#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>

#include "api/openai_request.h"
#include "sse/usage_meter.h"

namespace chrysalis::api {

// Rebuilds the non-streaming OpenAI answer (chat.completion or text_completion) from the
// streamed chunks, for apps that asked for stream:false (the network always streams).
class ResponseAssembler {
 public:
  // fallback_model is used when no chunk names its model.
  // `choices` is the request's n: chunks for any other index are not the answer's and are dropped.
  explicit ResponseAssembler(ApiKind kind, std::string fallback_model = {}, uint32_t choices = 1);

  void add(const nlohmann::json& chunk);
  // The complete response object with `usage` in OpenAI's format.
  nlohmann::json finish(const sse::Usage& usage) const;

  // Text gathered so far for choice 0 (useful for logs and tests).
  const std::string& content() const;

 private:
  struct Choice {
    std::string content;
    std::string reasoning;
    nlohmann::json finish_reason;  // null until a chunk sets it
    nlohmann::json logprobs;       // null unless chunks carried logprobs: their entries, joined
    nlohmann::json tool_calls;     // null unless deltas carried tool calls: each call's pieces, joined
  };

  ApiKind kind_;
  uint32_t choice_count_;
  std::string id_, model_, system_fingerprint_;
  int64_t created_ = 0;
  bool saw_model_ = false;
  std::map<uint64_t, Choice> choices_;  // by choice index
};

}  // namespace chrysalis::api
