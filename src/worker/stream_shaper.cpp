#include "worker/stream_shaper.h"
#include "common/json_bounded.h"

namespace chrysalis::worker {

namespace {
bool non_empty_string(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
}
}  // namespace

bool chunk_has_content(const nlohmann::json& chunk) {
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array()) return false;
  for (auto& choice : *choices) {
    if (!choice.is_object()) continue;
    if (non_empty_string(choice, "text")) return true;
    auto delta = choice.find("delta");
    if (delta != choice.end() && delta->is_object() &&
        (non_empty_string(*delta, "content") || non_empty_string(*delta, "reasoning_content")))
      return true;
    if (delta != choice.end() && delta->is_object()) {
      auto calls = delta->find("tool_calls");
      if (calls != delta->end() && calls->is_array() && !calls->empty()) return true;
    }
  }
  return false;
}

bool StreamShaper::on_event(const sse::SseEvent& event, std::vector<std::string>& out) {
  if (finished_) return false;
  if (event.done) {
    finished_ = true;
    return false;
  }
  nlohmann::json chunk = parse_json_bounded(event.data).value;
  if (chunk.is_discarded() || !chunk.is_object()) {
    ++malformed_;
    return true;
  }
  if (auto err = chunk.find("error"); err != chunk.end()) {
    engine_error_ = err->is_object() && err->contains("message") && (*err)["message"].is_string()
                        ? (*err)["message"].get<std::string>()
                        : err->dump();
    finished_ = true;
    return false;
  }
  bool has_content = chunk_has_content(chunk);
  if (has_content && content_chunks_ >= max_tokens_) {
    // The engine went past the limit: end the answer here, as OpenAI would at max_tokens.
    truncated_ = true;
    finished_ = true;
    finish_reason_ = "length";
    chunk.erase("usage");
    for (auto& choice : chunk["choices"]) {
      if (choice.contains("delta")) choice["delta"] = nlohmann::json::object();
      if (choice.contains("text")) choice["text"] = "";
      choice["finish_reason"] = "length";
    }
    out.push_back(chunk.dump());
    return false;
  }
  meter_.observe(chunk);
  if (has_content) ++content_chunks_;
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array() || choices->empty()) return true;  // usage-only chunk
  for (auto& choice : *choices) {
    if (choice.is_object() && choice.contains("finish_reason") && choice["finish_reason"].is_string())
      finish_reason_ = choice["finish_reason"].get<std::string>();
  }
  // Most chunks carry no usage: forward the engine's text as is instead of re-serializing it.
  // OpenAI-style engines put "usage": null on every chunk; only a real usage object needs removing.
  if (auto u = chunk.find("usage"); u != chunk.end() && !u->is_null()) {
    chunk.erase("usage");
    out.push_back(chunk.dump());
  } else {
    out.push_back(event.data);
  }
  return true;
}

sse::Usage StreamShaper::usage(uint64_t prompt_estimate) const {
  sse::Usage u = meter_.result(prompt_estimate);
  if (truncated_) {
    // The engine's report (if any) never arrived for a cut stream; bill what was forwarded.
    u.completion = content_chunks_;
    u.reasoning = std::min(u.reasoning, u.completion);
  }
  if (u.completion > max_tokens_) u.completion = max_tokens_;
  if (u.reasoning > u.completion) u.reasoning = u.completion;
  return u;
}

}  // namespace chrysalis::worker
