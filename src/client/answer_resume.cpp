#include "client/answer_resume.h"

#include "common/json_bounded.h"

namespace chrysalis::client {

using nlohmann::json;

std::string AnswerResume::not_resumable(const api::ValidatedRequest& vr) {
  const json& b = vr.body;
  if (vr.kind == api::ApiKind::Embedding) return "an embeddings answer is all or nothing";
  if (vr.choices != 1) return "n > 1";
  if (b.contains("tools") && !b["tools"].empty()) return "the request offers tools";
  if (b.contains("response_format") && b["response_format"].value("type", "text") != "text")
    return "the request constrains the answer's format";
  if (b.contains("logprobs") && b["logprobs"] != false && b["logprobs"] != 0) return "the request asks for logprobs";
  if (vr.kind == api::ApiKind::Completion && !(b.contains("prompt") && b["prompt"].is_string()))
    return "the prompt is not a single string";
  if (vr.kind == api::ApiKind::Chat && b.value("continue_final_message", false) &&
      !(b.contains("messages") && !b["messages"].empty() && b["messages"].back().value("content", json()).is_string()))
    return "the app's own prefill is not plain text";
  return "";
}

void AnswerResume::delivered(const std::vector<std::string>& events) {
  if (overflowed_) return;
  for (const auto& e : events) {
    kept_bytes_ += e.size();
    if (kept_bytes_ > kMaxKeptBytes) {
      overflowed_ = true;
      kept_.clear();
      return;
    }
    kept_.push_back(e);
  }
}

std::variant<api::ValidatedRequest, std::string> AnswerResume::continuation(const api::ValidatedRequest& original) {
  if (overflowed_) return std::string("the answer is longer than a continuation may carry");
  // What the app received of the failed part: one event per token, text in content or text.
  uint64_t tokens = 0;
  for (const auto& e : kept_) {
    json chunk = parse_json_bounded(e).value;
    if (!chunk.is_object()) return std::string("an event of the answer is not JSON");
    if (id_.empty() && chunk.contains("id") && chunk["id"].is_string()) {
      id_ = chunk["id"];
      created_ = chunk.value("created", json());
    }
    const json* choices = chunk.contains("choices") && chunk["choices"].is_array() ? &chunk["choices"] : nullptr;
    if (!choices || choices->empty()) continue;
    const json& choice = (*choices)[0];
    if (!choice.value("finish_reason", json()).is_null()) return std::string("the answer had already finished");
    std::string piece;
    if (original.kind == api::ApiKind::Chat) {
      const json& delta = choice.value("delta", json::object());
      if (delta.contains("tool_calls")) return std::string("the answer had started a tool call");
      if (delta.contains("content") && delta["content"].is_string()) piece = delta["content"];
    } else if (choice.contains("text") && choice["text"].is_string()) {
      piece = choice["text"];
    }
    if (piece.empty()) continue;
    text_ += piece;
    ++tokens;
  }
  kept_.clear();
  kept_bytes_ = 0;
  resumed_tokens_ += tokens;
  if (text_.empty()) return std::string("no text of the answer had arrived");
  if (resumed_tokens_ >= original.max_tokens) return std::string("the answer had reached max_tokens");

  api::ValidatedRequest next = original;
  next.app_order.reset();
  next.max_tokens = static_cast<uint32_t>(original.max_tokens - resumed_tokens_);
  json& body = next.body;
  body["max_tokens"] = next.max_tokens;
  if (original.kind == api::ApiKind::Chat) {
    json& messages = body["messages"];
    if (body.value("continue_final_message", false) && !messages.empty())  // the app's own prefill, extended
      messages.back()["content"] = messages.back().value("content", std::string()) + text_;
    else
      messages.push_back({{"role", "assistant"}, {"content", text_}});
    body["continue_final_message"] = true;
    body["add_generation_prompt"] = false;
  } else {
    // The prompt's last bytes are the model's own answer, so the engine reads them back as the
    // tokens the model wrote, not as its tokenizer would split them (engine/lib/prefill.mjs).
    body["prompt"] = original.body["prompt"].get<std::string>() + text_;
    body["prefill_bytes"] = text_.size();
  }
  ++resumes_;
  return next;
}

std::vector<std::string> AnswerResume::stitch(const std::vector<std::string>& events) const {
  std::vector<std::string> out;
  out.reserve(events.size());
  for (const auto& e : events) {
    json chunk = parse_json_bounded(e).value;
    if (!chunk.is_object()) {
      out.push_back(e);
      continue;
    }
    if (!id_.empty()) chunk["id"] = id_;
    if (!created_.is_null()) chunk["created"] = created_;
    if (chunk.contains("choices") && chunk["choices"].is_array())
      for (auto& choice : chunk["choices"])
        if (choice.is_object() && choice.contains("delta") && choice["delta"].is_object()) choice["delta"].erase("role");
    out.push_back(chunk.dump());
  }
  return out;
}

}  // namespace chrysalis::client
