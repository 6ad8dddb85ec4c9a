#include "api/response_assembler.h"
#include "api/tool_request.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

namespace chrysalis::api {
namespace {

using nlohmann::json;

void append_string(std::string& into, const json& object, const char* key) {
  auto it = object.find(key);
  if (it != object.end() && it->is_string()) into += it->get_ref<const std::string&>();
}

// Streamed logprobs arrive a few tokens per chunk; the whole answer carries them joined: chat's
// content list, or the four parallel lists of completions. Anything else is not merged.
void merge_logprobs(json& into, const json& chunk_logprobs, ApiKind kind) {
  if (!chunk_logprobs.is_object()) return;
  const auto lists = kind == ApiKind::Chat ? std::vector<const char*>{"content"}
                                           : std::vector<const char*>{"tokens", "token_logprobs", "top_logprobs",
                                                                      "text_offset"};
  if (into.is_null()) {
    into = json::object();
    for (const char* name : lists) into[name] = json::array();
    if (kind == ApiKind::Chat) into["refusal"] = nullptr;
  }
  for (const char* name : lists) {
    auto it = chunk_logprobs.find(name);
    if (it == chunk_logprobs.end() || !it->is_array()) continue;
    for (const auto& entry : *it) into[name].push_back(entry);
  }
}

// Streamed tool calls come as deltas by index: the first names the call (id, type, function
// name), later ones add argument text. Indices past what a request can hold are dropped.

void merge_tool_calls(json& into, const json& deltas) {
  if (!deltas.is_array()) return;
  for (const auto& d : deltas) {
    if (!d.is_object()) continue;
    auto index_it = d.find("index");
    if (index_it == d.end() || !index_it->is_number_integer() || index_it->get<int64_t>() < 0) continue;
    auto index = static_cast<uint64_t>(index_it->get<int64_t>());
    if (index >= kMaxTools) continue;
    if (into.is_null()) into = json::array();
    while (into.size() <= index)
      into.push_back({{"id", ""}, {"type", "function"}, {"function", {{"name", ""}, {"arguments", ""}}}});
    json& call = into[index];
    append_string(call["id"].get_ref<std::string&>(), d, "id");
    if (auto fn = d.find("function"); fn != d.end() && fn->is_object()) {
      append_string(call["function"]["name"].get_ref<std::string&>(), *fn, "name");
      append_string(call["function"]["arguments"].get_ref<std::string&>(), *fn, "arguments");
    }
  }
}

std::string fresh_id(ApiKind kind) {
  static std::mt19937_64 rng{std::random_device{}()};
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string id = kind == ApiKind::Chat ? "chatcmpl-" : "cmpl-";
  for (int i = 0; i < 24; ++i) id += kAlphabet[rng() % (sizeof kAlphabet - 1)];
  return id;
}

}  // namespace

ResponseAssembler::ResponseAssembler(ApiKind kind, std::string fallback_model, uint32_t choices)
    : kind_(kind), choice_count_(std::max<uint32_t>(choices, 1)), model_(std::move(fallback_model)) {
  // An answer has every choice asked for, even one the engine produced nothing for.
  for (uint32_t i = 0; i < choice_count_; ++i) choices_[i];
}

void ResponseAssembler::add(const json& chunk) {
  if (!chunk.is_object()) return;
  // The first chunk that carries id/created/model fixes them; engines repeat them in every chunk.
  if (id_.empty()) append_string(id_, chunk, "id");
  if (created_ == 0) {
    if (auto it = chunk.find("created"); it != chunk.end() && it->is_number_integer()) created_ = it->get<int64_t>();
  }
  if (auto it = chunk.find("model");
      !saw_model_ && it != chunk.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
    model_ = it->get<std::string>();  // the engine's name beats the fallback
    saw_model_ = true;
  }
  if (system_fingerprint_.empty()) append_string(system_fingerprint_, chunk, "system_fingerprint");

  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array()) return;
  for (const auto& c : *choices) {
    if (!c.is_object()) continue;
    uint64_t index = 0;
    if (auto it = c.find("index"); it != c.end() && it->is_number_unsigned()) index = it->get<uint64_t>();
    if (index >= choice_count_) continue;
    Choice& choice = choices_[index];
    if (kind_ == ApiKind::Completion) append_string(choice.content, c, "text");
    if (auto delta = c.find("delta"); delta != c.end() && delta->is_object()) {
      append_string(choice.content, *delta, "content");
      append_string(choice.reasoning, *delta, "reasoning_content");
      append_string(choice.reasoning, *delta, "reasoning");
      if (auto calls = delta->find("tool_calls"); calls != delta->end()) merge_tool_calls(choice.tool_calls, *calls);
    }
    if (auto logprobs = c.find("logprobs"); logprobs != c.end()) merge_logprobs(choice.logprobs, *logprobs, kind_);
    if (auto reason = c.find("finish_reason"); reason != c.end() && !reason->is_null()) choice.finish_reason = *reason;
  }
}

const std::string& ResponseAssembler::content() const { return choices_.at(0).content; }

json ResponseAssembler::finish(const sse::Usage& usage) const {
  json choices = json::array();
  for (const auto& [index, choice] : choices_) {
    // A stream that ended without saying why ended normally.
    json finish_reason = choice.finish_reason.is_null() ? json("stop") : choice.finish_reason;
    if (kind_ == ApiKind::Chat) {
      json message{{"role", "assistant"}, {"content", choice.content}};
      if (!choice.reasoning.empty()) message["reasoning_content"] = choice.reasoning;
      if (!choice.tool_calls.is_null()) {
        message["tool_calls"] = choice.tool_calls;
        if (choice.content.empty()) message["content"] = nullptr;  // as OpenAI answers a pure tool call
      }
      choices.push_back({{"index", index},
                         {"message", std::move(message)},
                         {"logprobs", choice.logprobs},
                         {"finish_reason", std::move(finish_reason)}});
    } else {
      choices.push_back({{"index", index},
                         {"text", choice.content},
                         {"logprobs", choice.logprobs},
                         {"finish_reason", std::move(finish_reason)}});
    }
  }
  int64_t created = created_;
  if (created == 0)
    created =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  json response{{"id", id_.empty() ? fresh_id(kind_) : id_},
                {"object", kind_ == ApiKind::Chat ? "chat.completion" : "text_completion"},
                {"created", created},
                {"model", model_},
                {"choices", std::move(choices)},
                {"usage", sse::to_openai_usage(usage)}};
  if (!system_fingerprint_.empty()) response["system_fingerprint"] = system_fingerprint_;
  return response;
}

}  // namespace chrysalis::api
