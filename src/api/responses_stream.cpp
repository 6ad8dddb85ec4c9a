#include "api/responses_stream.h"

#include <chrono>

#include "api/tool_request.h"
#include "common/random.h"

namespace chrysalis::api {
namespace {

using nlohmann::json;

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// OpenAI's ids are a prefix and 48 hex digits; apps only compare them.
std::string fresh_id(const char* prefix) { return prefix + random_hex(24); }

json text_part(const std::string& text) {
  return {{"type", "output_text"}, {"text", text}, {"annotations", json::array()}, {"logprobs", json::array()}};
}

json usage_object(const sse::Usage& usage) {
  return {{"input_tokens", usage.prompt},
          {"input_tokens_details", {{"cached_tokens", usage.cached}}},
          {"output_tokens", usage.completion},
          {"output_tokens_details", {{"reasoning_tokens", usage.reasoning}}},
          {"total_tokens", usage.prompt + usage.completion}};
}

const std::string* string_at(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

}  // namespace

ResponsesStream::ResponsesStream(std::string model, json echo)
    : response_(echo.is_object() ? std::move(echo) : json::object()) {
  // The fields the SDKs' Response type requires, for an echo that lacks them.
  const json defaults{{"instructions", nullptr}, {"metadata", json::object()}, {"parallel_tool_calls", true},
                      {"temperature", nullptr},  {"top_p", nullptr},           {"tool_choice", "auto"},
                      {"tools", json::array()}};
  for (const auto& [key, value] : defaults.items())
    if (!response_.contains(key)) response_[key] = value;
  response_.update({{"id", fresh_id("resp_")},
                    {"object", "response"},
                    {"created_at", unix_now()},
                    {"completed_at", nullptr},
                    {"status", "in_progress"},
                    {"error", nullptr},
                    {"incomplete_details", nullptr},
                    {"model", std::move(model)},
                    {"output", json::array()},
                    {"usage", nullptr}});
}

std::string ResponsesStream::event(const char* type, json data) {
  data["type"] = type;
  data["sequence_number"] = sequence_++;
  return std::string("event: ") + type + "\ndata: " + data.dump(-1, ' ', false, json::error_handler_t::replace) +
         "\n\n";
}

std::string ResponsesStream::begin() {
  std::string out = event("response.created", {{"response", response_}});
  return out + event("response.in_progress", {{"response", response_}});
}

std::string ResponsesStream::on_chunk(const json& chunk) {
  if (ended_ || !chunk.is_object()) return {};
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array()) return {};  // e.g. the closing usage chunk
  std::string out;
  for (const auto& choice : *choices) {
    if (!choice.is_object() || choice.value("index", json(0)) != 0) continue;
    if (auto delta = choice.find("delta"); delta != choice.end() && delta->is_object()) {
      // reasoning_content is not shown: Responses would need a reasoning item the SDKs expect
      // only from reasoning models with summaries.
      if (const std::string* text = string_at(*delta, "content"); text && !text->empty()) out += on_text(*text);
      if (auto calls = delta->find("tool_calls"); calls != delta->end() && calls->is_array())
        for (const auto& piece : *calls) out += on_tool_call(piece);
    }
    if (auto reason = choice.find("finish_reason"); reason != choice.end() && !reason->is_null())
      finish_reason_ = *reason;
  }
  return out;
}

std::string ResponsesStream::open_message() {
  open_message_ = items_.size();
  json item{{"type", "message"},
            {"id", fresh_id("msg_")},
            {"status", "in_progress"},
            {"role", "assistant"},
            {"content", json::array()}};
  std::string out = event("response.output_item.added", {{"output_index", open_message_}, {"item", item}});
  out +=
      event("response.content_part.added",
            {{"item_id", item["id"]}, {"output_index", open_message_}, {"content_index", 0}, {"part", text_part("")}});
  items_.push_back({std::move(item), {}, true, true});
  return out;
}

std::string ResponsesStream::on_text(const std::string& delta) {
  std::string out = open_message_ == SIZE_MAX ? open_message() : "";
  Item& message = items_[open_message_];
  message.text += delta;
  out += event("response.output_text.delta", {{"item_id", message.json["id"]},
                                              {"output_index", open_message_},
                                              {"content_index", 0},
                                              {"delta", delta},
                                              {"logprobs", json::array()}});
  return out;
}

// A call's first piece carries its id and name; later pieces add argument text. Pieces name their
// call by index, so calls may interleave; each stays open until finish.
std::string ResponsesStream::on_tool_call(const json& piece) {
  if (!piece.is_object()) return {};
  uint64_t index = 0;
  if (auto it = piece.find("index"); it != piece.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) return {};
    index = it->get<uint64_t>();
  }
  if (index >= kMaxTools) return {};
  const json empty = json::object();
  auto fn_it = piece.find("function");
  const json& fn = fn_it != piece.end() && fn_it->is_object() ? *fn_it : empty;
  std::string out;
  auto known = call_items_.find(index);
  if (known == call_items_.end()) {
    if (open_message_ != SIZE_MAX) out += close_item(open_message_, "completed");
    open_message_ = SIZE_MAX;  // text after a call is a message of its own
    const std::string* call_id = string_at(piece, "id");
    const std::string* name = string_at(fn, "name");
    json item{{"type", "function_call"},   {"id", fresh_id("fc_")}, {"call_id", call_id ? *call_id : fresh_id("call_")},
              {"name", name ? *name : ""}, {"arguments", ""},       {"status", "in_progress"}};
    known = call_items_.emplace(index, items_.size()).first;
    out += event("response.output_item.added", {{"output_index", items_.size()}, {"item", item}});
    items_.push_back({std::move(item), {}, true, false});
  } else if (const std::string* more_name = string_at(fn, "name")) {
    items_[known->second].json["name"].get_ref<std::string&>() += *more_name;
  }
  Item& call = items_[known->second];
  if (const std::string* arguments = string_at(fn, "arguments"); arguments && !arguments->empty() && call.open) {
    call.text += *arguments;
    out += event("response.function_call_arguments.delta",
                 {{"item_id", call.json["id"]}, {"output_index", known->second}, {"delta", *arguments}});
  }
  return out;
}

std::string ResponsesStream::close_item(std::size_t index, const char* status) {
  Item& item = items_[index];
  if (!item.open) return {};
  item.open = false;
  item.json["status"] = status;
  const json& id = item.json["id"];
  std::string out;
  if (item.is_message) {
    out += event("response.output_text.done", {{"item_id", id},
                                               {"output_index", index},
                                               {"content_index", 0},
                                               {"text", item.text},
                                               {"logprobs", json::array()}});
    item.json["content"] = json::array({text_part(item.text)});
    out += event("response.content_part.done",
                 {{"item_id", id}, {"output_index", index}, {"content_index", 0}, {"part", text_part(item.text)}});
  } else {
    item.json["arguments"] = item.text;
    out += event("response.function_call_arguments.done",
                 {{"item_id", id}, {"output_index", index}, {"name", item.json["name"]}, {"arguments", item.text}});
  }
  out += event("response.output_item.done", {{"output_index", index}, {"item", item.json}});
  // The Response lists closed items in output_index order, whatever order they closed in.
  json output = json::array();
  for (const Item& each : items_)
    if (!each.open) output.push_back(each.json);
  response_["output"] = std::move(output);
  return out;
}

std::string ResponsesStream::close_all(const char* status) {
  std::string out;
  for (std::size_t i = 0; i < items_.size(); ++i) out += close_item(i, status);
  open_message_ = SIZE_MAX;
  return out;
}

std::string ResponsesStream::finish(const sse::Usage& usage) {
  if (ended_) return {};
  json incomplete_reason;  // null: the answer ended on its own
  if (finish_reason_ == "length") incomplete_reason = "max_output_tokens";
  if (finish_reason_ == "content_filter") incomplete_reason = "content_filter";
  // Apps read output[0] of an answer; an empty answer is an empty message, not an empty list.
  std::string out = items_.empty() ? open_message() : "";
  out += close_all(incomplete_reason.is_null() ? "completed" : "incomplete");
  ended_ = true;
  response_["usage"] = usage_object(usage);
  if (incomplete_reason.is_null()) {
    response_["status"] = "completed";
    response_["completed_at"] = unix_now();
    return out + event("response.completed", {{"response", response_}});
  }
  response_["status"] = "incomplete";
  response_["incomplete_details"] = {{"reason", incomplete_reason}};
  return out + event("response.incomplete", {{"response", response_}});
}

std::string ResponsesStream::fail(const std::string& code, const std::string& message) {
  if (ended_) return {};
  ended_ = true;
  // What was produced stays in the Response, marked incomplete, without done events.
  json output = json::array();
  for (Item& item : items_) {
    if (item.open) {
      item.json["status"] = "incomplete";
      if (item.is_message)
        item.json["content"] = json::array({text_part(item.text)});
      else
        item.json["arguments"] = item.text;
    }
    output.push_back(item.json);
  }
  response_["output"] = std::move(output);
  response_["status"] = "failed";
  response_["error"] = {{"code", code}, {"message", message}};
  std::string out = event("error", {{"code", code}, {"message", message}, {"param", nullptr}});
  return out + event("response.failed", {{"response", response_}});
}

}  // namespace chrysalis::api
