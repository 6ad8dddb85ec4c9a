#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "api/tool_request.h"
#include "sse/sse_parser.h"
#include "sse/usage_meter.h"

namespace chrysalis::worker {

// Turns an engine's SSE events into the events the worker forwards: usage is taken out (the
// network reports metered usage itself), content beyond max_tokens is cut whatever the engine
// does, and a final "length" chunk is made up when the worker had to cut.
class StreamShaper {
 public:
  explicit StreamShaper(uint64_t max_tokens) : max_tokens_(max_tokens) {}

  // Appends the events to forward (JSON texts) to `out`. Returns false once the stream is over
  // (the engine sent [DONE], or the worker cut it): stop reading the engine then.
  bool on_event(const sse::SseEvent& event, std::vector<std::string>& out);
  // The same, also appending each forwarded event's answer text (receipts::answer_text_of) to
  // `texts`, from the parse the shaper makes anyway.
  bool on_event(const sse::SseEvent& event, std::vector<std::string>& out, std::vector<std::string>* texts);

  bool finished() const { return finished_; }
  bool truncated() const { return truncated_; }
  const std::string& finish_reason() const { return finish_reason_; }
  const std::string& engine_error() const { return engine_error_; }
  uint64_t content_chunks() const { return content_chunks_; }
  uint64_t malformed_events() const { return malformed_; }
  // Usage to bill: the engine's report or our own count, never more completion tokens than max_tokens.
  sse::Usage usage(uint64_t prompt_estimate) const;

 private:
  uint64_t max_tokens_;
  sse::UsageMeter meter_;
  uint64_t content_chunks_ = 0;
  uint64_t malformed_ = 0;
  bool finished_ = false;
  bool truncated_ = false;
  std::string finish_reason_;
  std::string engine_error_;
};

// Why a chunk's delta.tool_calls is not in OpenAI's streamed shape, or "" (also when it has none).
std::string tool_call_problem(const nlohmann::json& chunk);

// True when a streamed chunk carries generated text (chat delta content/reasoning/tool calls or completion text).
bool chunk_has_content(const nlohmann::json& chunk);

}  // namespace chrysalis::worker
