#include "receipts/answer_digest.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace chrysalis::receipts {

AnswerDigest::AnswerDigest(std::string_view salt) {
  if (salt.size() > 255) throw std::invalid_argument("answer salt over 255 bytes");
  hash_.add("chrysalis-answer/1");
  hash_.add(std::string(1, static_cast<char>(salt.size())));
  hash_.add(salt);
}

namespace {

// A streamed tool call's name and argument pieces, as they came (not its id: ids are random, so two
// workers that called the same function with the same arguments hash alike).
void append_tool_call_text(const nlohmann::json& delta, std::string& out) {
  auto calls = delta.find("tool_calls");
  if (calls == delta.end() || !calls->is_array()) return;
  for (const auto& call : *calls) {
    if (!call.is_object()) continue;
    auto function = call.find("function");
    if (function == call.end() || !function->is_object()) continue;
    for (const char* key : {"name", "arguments"})
      if (auto text = function->find(key); text != function->end() && text->is_string())
        out += text->get_ref<const std::string&>();
  }
}

}  // namespace

std::string answer_text_of(std::string_view event_json) {
  return answer_text_of_parsed(nlohmann::json::parse(event_json, nullptr, false));
}

std::string answer_text_of_parsed(const nlohmann::json& chunk) {
  std::string out;
  if (!chunk.is_object()) return out;
  // An embeddings answer's event: the vector itself, as compact JSON (a list, or a base64 string).
  if (auto object = chunk.find("object"); object != chunk.end() && *object == "embedding") {
    if (auto vector = chunk.find("embedding"); vector != chunk.end()) out = vector->dump();
    return out;
  }
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array()) return out;
  for (const auto& choice : *choices) {
    if (!choice.is_object()) continue;
    if (auto delta = choice.find("delta"); delta != choice.end() && delta->is_object()) {
      if (auto content = delta->find("content"); content != delta->end() && content->is_string())
        out += content->get_ref<const std::string&>();
      append_tool_call_text(*delta, out);
    }
    if (auto text = choice.find("text"); text != choice.end() && text->is_string())
      out += text->get_ref<const std::string&>();
  }
  return out;
}

void AnswerDigest::add_event(std::string_view event_json) { hash_.add(answer_text_of(event_json)); }

void AnswerDigest::add_text(std::string_view text) { hash_.add(text); }

std::string answer_hash(std::string_view salt, std::string_view text) {
  AnswerDigest d(salt);
  d.add_text(text);
  return d.finish();
}

}  // namespace chrysalis::receipts
