#include "worker/stream_shaper.h"
#include "common/json_bounded.h"
#include "receipts/answer_digest.h"

namespace chrysalis::worker {

namespace {
bool non_empty_string(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
}

bool string_within(const nlohmann::json& obj, const char* key, std::size_t max_chars) {
  auto it = obj.find(key);
  return it == obj.end() || (it->is_string() && it->get_ref<const std::string&>().size() <= max_chars);
}

std::string tool_call_delta_problem(const nlohmann::json& call) {
  if (!call.is_object()) return "a tool_calls entry is not an object";
  auto index = call.find("index");
  if (index == call.end() || !index->is_number_integer() || index->get<int64_t>() < 0 ||
      index->get<int64_t>() >= static_cast<int64_t>(api::kMaxTools))
    return "a tool call's index is missing or outside 0.." + std::to_string(api::kMaxTools - 1);
  if (!string_within(call, "id", 256)) return "a tool call's id is not a string of at most 256 characters";
  if (auto type = call.find("type"); type != call.end() && *type != "function")
    return "a tool call's type is not \"function\"";
  auto fn = call.find("function");
  if (fn == call.end()) return "";
  if (!fn->is_object()) return "a tool call's function is not an object";
  if (!string_within(*fn, "name", 64)) return "a tool call's function name is not a string of at most 64 characters";
  if (!string_within(*fn, "arguments", std::string::npos)) return "a tool call's arguments are not a string";
  return "";
}

}  // namespace

std::string tool_call_problem(const nlohmann::json& chunk) {
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array()) return "";
  for (const auto& choice : *choices) {
    if (!choice.is_object()) continue;
    auto delta = choice.find("delta");
    if (delta == choice.end() || !delta->is_object()) continue;
    auto calls = delta->find("tool_calls");
    if (calls == delta->end() || calls->is_null()) continue;
    if (!calls->is_array() || calls->size() > api::kMaxTools) return "tool_calls is not an array of tool calls";
    for (const auto& call : *calls)
      if (auto problem = tool_call_delta_problem(call); !problem.empty()) return problem;
  }
  return "";
}

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
  return on_event(event, out, nullptr);
}

bool StreamShaper::on_event(const sse::SseEvent& event, std::vector<std::string>& out,
                            std::vector<std::string>* texts) {
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
  // Tool calls go to the app as they are: an engine that sends them misshapen ends the answer
  // with an error that says so, rather than an SDK failing on them later.
  if (auto problem = tool_call_problem(chunk); !problem.empty()) {
    engine_error_ = "malformed tool call: " + problem;
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
    if (texts) texts->push_back(receipts::answer_text_of_parsed(chunk));
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
  if (texts) texts->push_back(receipts::answer_text_of_parsed(chunk));
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
