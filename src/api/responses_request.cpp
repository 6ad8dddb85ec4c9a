#include "api/responses_request.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <string>

#include "api/request_field_checks.h"
#include "api/tool_request.h"

// Fields handled here: model, input, instructions, tools, tool_choice, parallel_tool_calls,
// max_output_tokens, temperature, top_p, user, metadata, text, stream, stream_options,
// previous_response_id, store, background, conversation, prompt, include, truncation, reasoning,
// top_logprobs, max_tool_calls, service_tier, safety_identifier, prompt_cache_key, and the
// Chrysalis extensions max_coefficient, max_price, ttft_deadline_ms and timeout. Other keys are ignored: the SDKs add
// new ones faster than any list here, and none of them reaches the chat body.

namespace chrysalis::api {
namespace {

using nlohmann::json;
using namespace checks;

constexpr std::size_t kMaxMetadataKeys = 16;
constexpr std::size_t kMaxMetadataKeyChars = 64;
constexpr std::size_t kMaxMetadataValueChars = 512;
const char* const kTextOnly = "the network's engines take text only";

std::string indexed(const std::string& param, std::size_t i) { return param + "[" + std::to_string(i) + "]"; }

const json& required(const json& object, const char* key, const std::string& param) {
  const json* value = field(object, key);
  if (!value) reject("missing_required_parameter", "'" + param + "' is required", param);
  return *value;
}

const std::string& required_string(const json& object, const char* key, const std::string& param) {
  const json& value = required(object, key, param);
  if (!value.is_string()) wrong_type(param, "a string", value);
  return value.get_ref<const std::string&>();
}

// The chat path's rule for function names, checked here so that the 400 names the Responses field.
void check_function_name(const json& object, const std::string& param) {
  const std::string& name = required_string(object, "name", param);
  bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
  if (!ok) reject("invalid_value", "'" + param + "' must be 1 to 64 letters, digits, '_' or '-'", param);
}

// A string, or text parts joined into one: chat messages here carry plain text.
std::string joined_text(const json& content, const std::string& param) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array() || content.empty()) wrong_type(param, "a string or a non-empty array of text parts", content);
  std::string text;
  for (std::size_t j = 0; j < content.size(); ++j) {
    auto part_param = indexed(param, j);
    const json& part = content[j];
    if (!part.is_object()) wrong_type(part_param, "an object", part);
    const std::string& type = required_string(part, "type", part_param + ".type");
    if (type == "input_image" || type == "input_file" || type == "input_audio")
      refuse((part_param + ".type").c_str(), type + " parts are not accepted; " + kTextOnly);
    if (type != "input_text" && type != "output_text")
      reject("invalid_value", "'" + part_param + ".type' must be input_text or output_text, got " + shown(type),
             part_param + ".type");
    text += required_string(part, "text", part_param + ".text");
  }
  return text;
}

void add_message(json& messages, const json& item, const std::string& param) {
  const std::string& role = required_string(item, "role", param + ".role");
  if (role != "user" && role != "assistant" && role != "system" && role != "developer")
    reject("invalid_value",
           "'" + param + ".role' must be one of user, assistant, system, developer; got " + shown(role),
           param + ".role");
  auto text = joined_text(required(item, "content", param + ".content"), param + ".content");
  messages.push_back({{"role", role == "developer" ? "system" : role}, {"content", std::move(text)}});
}

// Chat keeps an answer's calls on one assistant message, where Responses lists each call as an
// item: a call joins the assistant message just before it (its text, or the calls before it).
void add_function_call(json& messages, const json& item, const std::string& param) {
  const std::string& call_id = required_string(item, "call_id", param + ".call_id");
  if (call_id.empty()) reject("invalid_value", "'" + param + ".call_id' must not be empty", param + ".call_id");
  check_function_name(item, param + ".name");
  const std::string& arguments = required_string(item, "arguments", param + ".arguments");
  json call{{"id", call_id}, {"type", "function"}, {"function", {{"name", item["name"]}, {"arguments", arguments}}}};
  if (messages.empty() || messages.back()["role"] != "assistant")
    messages.push_back({{"role", "assistant"}, {"content", nullptr}});
  json& assistant = messages.back();
  if (assistant["content"] == "") assistant["content"] = nullptr;  // a call-only turn, as chat writes it
  assistant["tool_calls"].push_back(std::move(call));
}

void add_function_output(json& messages, const json& item, const std::string& param) {
  const std::string& call_id = required_string(item, "call_id", param + ".call_id");
  auto output = joined_text(required(item, "output", param + ".output"), param + ".output");
  messages.push_back({{"role", "tool"}, {"tool_call_id", call_id}, {"content", std::move(output)}});
}

json chat_messages(const json& body) {
  json messages = json::array();
  if (const json* instructions = field(body, "instructions")) {
    if (!instructions->is_string()) wrong_type("instructions", "a string", *instructions);
    messages.push_back({{"role", "system"}, {"content", *instructions}});
  }
  const json* input = field(body, "input");
  if (!input) reject("missing_required_parameter", "'input' is required", "input");
  if (input->is_string()) {
    messages.push_back({{"role", "user"}, {"content", *input}});
    return messages;
  }
  if (!input->is_array()) wrong_type("input", "a string or an array of input items", *input);
  if (input->empty()) reject("invalid_value", "'input' must hold at least one item", "input");
  if (input->size() > kMaxResponsesInputItems)
    reject("invalid_value",
           "'input' holds " + std::to_string(input->size()) + " items; the limit is " +
               std::to_string(kMaxResponsesInputItems),
           "input");
  for (std::size_t i = 0; i < input->size(); ++i) {
    const json& item = (*input)[i];
    auto param = indexed("input", i);
    if (!item.is_object()) wrong_type(param, "an object", item);
    // A message may leave out its type ("easy input message").
    const json* type = field(item, "type");
    if (type && !type->is_string()) wrong_type(param + ".type", "a string", *type);
    if (!type || *type == "message")
      add_message(messages, item, param);
    else if (*type == "function_call")
      add_function_call(messages, item, param);
    else if (*type == "function_call_output")
      add_function_output(messages, item, param);
    else if (*type == "reasoning")
      continue;  // an earlier answer's reasoning; the served models take none back
    else
      refuse((param + ".type").c_str(),
             shown(*type) +
                 " items are not taken; the network takes messages, function_call and "
                 "function_call_output items (it stores nothing an item_reference could name)");
  }
  return messages;
}

// Responses function tools are flat; chat nests the function. The echo keeps the Responses shape
// with OpenAI's defaults (strict true, parameters null).
void translate_tools(const json& body, json& chat, json& echo) {
  echo["tools"] = json::array();
  const json* tools = field(body, "tools");
  if (!tools) return;
  if (!tools->is_array()) wrong_type("tools", "an array of tools", *tools);
  if (tools->size() > kMaxTools)
    reject("invalid_value",
           "'tools' holds " + std::to_string(tools->size()) + " tools; the limit is " + std::to_string(kMaxTools),
           "tools");
  if (tools->empty()) return;
  json chat_tools = json::array();
  for (std::size_t i = 0; i < tools->size(); ++i) {
    const json& tool = (*tools)[i];
    auto param = indexed("tools", i);
    if (!tool.is_object()) wrong_type(param, "an object", tool);
    const std::string& type = required_string(tool, "type", param + ".type");
    if (type != "function")
      refuse((param + ".type").c_str(), shown(type) +
                                            " is a built-in tool; the network offers none, only function tools "
                                            "({\"type\": \"function\", \"name\", \"parameters\"})");
    check_function_name(tool, param + ".name");
    json function{{"name", tool["name"]}};
    json echoed{{"type", "function"}, {"name", tool["name"]}, {"parameters", nullptr}, {"strict", true}};
    if (const json* d = field(tool, "description")) {
      if (!d->is_string()) wrong_type(param + ".description", "a string", *d);
      function["description"] = echoed["description"] = *d;
    }
    if (const json* p = field(tool, "parameters")) {
      if (!p->is_object()) wrong_type(param + ".parameters", "a JSON schema object", *p);
      function["parameters"] = echoed["parameters"] = *p;
    }
    check_bool(tool, "strict", param + ".strict");
    if (const json* s = field(tool, "strict")) function["strict"] = echoed["strict"] = *s;
    chat_tools.push_back({{"type", "function"}, {"function", std::move(function)}});
    echo["tools"].push_back(std::move(echoed));
  }
  chat["tools"] = std::move(chat_tools);
}

void translate_tool_choice(const json& body, json& chat, json& echo) {
  echo["tool_choice"] = "auto";
  const json* choice = field(body, "tool_choice");
  if (!choice) return;
  echo["tool_choice"] = *choice;
  if (*choice == "auto" || *choice == "none" || *choice == "required") {
    chat["tool_choice"] = *choice;
    return;
  }
  if (!choice->is_object())
    reject("invalid_value",
           "'tool_choice' must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"name\": ...}",
           "tool_choice");
  const std::string& type = required_string(*choice, "type", "tool_choice.type");
  if (type != "function")
    refuse("tool_choice", shown(type) +
                              " choices name built-in tools or tool subsets; only "
                              "{\"type\": \"function\", \"name\": ...} is offered");
  check_function_name(*choice, "tool_choice.name");
  chat["tool_choice"] = {{"type", "function"}, {"function", {{"name", (*choice)["name"]}}}};
}

// text.format becomes chat's response_format; {type: "text"} is what chat does anyway.
void translate_text(const json& body, json& chat, json& echo) {
  json format{{"type", "text"}};
  json verbosity = "medium";
  if (const json* text = field(body, "text")) {
    if (!text->is_object()) wrong_type("text", "an object", *text);
    if (const json* v = field(*text, "verbosity"); v && *v != "medium")
      refuse("text.verbosity", "the served models have no verbosity control; leave it out or send \"medium\"");
    if (const json* given = field(*text, "format")) {
      if (!given->is_object()) wrong_type("text.format", "an object", *given);
      format = *given;
    }
  }
  const std::string& type = required_string(format, "type", "text.format.type");
  if (type == "json_object") {
    chat["response_format"] = {{"type", "json_object"}};
  } else if (type == "json_schema") {
    const std::string& name = required_string(format, "name", "text.format.name");
    if (name.empty()) reject("invalid_value", "'text.format.name' must not be empty", "text.format.name");
    const json& schema = required(format, "schema", "text.format.schema");
    if (!schema.is_object()) wrong_type("text.format.schema", "a JSON schema object", schema);
    json spec{{"name", name}, {"schema", schema}};
    if (const json* d = field(format, "description")) {
      if (!d->is_string()) wrong_type("text.format.description", "a string", *d);
      spec["description"] = *d;
    }
    check_bool(format, "strict", "text.format.strict");
    if (const json* s = field(format, "strict")) spec["strict"] = *s;
    chat["response_format"] = {{"type", "json_schema"}, {"json_schema", std::move(spec)}};
  } else if (type != "text") {
    reject("invalid_value", "'text.format.type' must be one of text, json_object, json_schema; got " + shown(type),
           "text.format.type");
  }
  echo["text"] = {{"format", std::move(format)}, {"verbosity", std::move(verbosity)}};
}

void check_metadata(const json& metadata) {
  if (!metadata.is_object()) wrong_type("metadata", "an object of strings", metadata);
  if (metadata.size() > kMaxMetadataKeys) reject("invalid_value", "'metadata' may hold at most 16 keys", "metadata");
  for (const auto& [key, value] : metadata.items()) {
    auto param = "metadata." + key;
    if (key.size() > kMaxMetadataKeyChars)
      reject("invalid_value", "'metadata' keys are at most 64 characters", "metadata");
    if (!value.is_string()) wrong_type(param, "a string", value);
    if (value.get_ref<const std::string&>().size() > kMaxMetadataValueChars)
      reject("invalid_value", "'" + param + "' is longer than 512 characters", param);
  }
}

// Features that need state the network does not keep, or controls its engines do not have.
void refuse_unoffered(const json& body) {
  if (field(body, "previous_response_id"))
    refuse("previous_response_id", "the network stores no conversation; send the whole conversation in input");
  if (const json* store = field(body, "store"); store && *store != false)
    refuse("store", "the network stores no responses; send store: false or leave it out");
  if (const json* background = field(body, "background"); background && *background != false)
    refuse("background", "responses are answered while the request is open; nothing runs in the background");
  if (field(body, "conversation"))
    refuse("conversation", "the network stores no conversation; send the whole conversation in input");
  if (field(body, "prompt")) refuse("prompt", "the network stores no prompt templates; send instructions and input");
  if (const json* include = field(body, "include"); include && !(include->is_array() && include->empty()))
    refuse("include", "the network has no extra output (logprobs, encrypted reasoning, tool sources) to include");
  if (const json* truncation = field(body, "truncation"); truncation && *truncation != "disabled") {
    if (*truncation != "auto")
      reject("invalid_value", "'truncation' must be \"auto\" or \"disabled\", got " + shown(*truncation), "truncation");
    refuse("truncation", "input is never cut to fit; a conversation longer than the model's context is a 400");
  }
  if (const json* reasoning = field(body, "reasoning")) {
    if (!reasoning->is_object()) wrong_type("reasoning", "an object", *reasoning);
    if (field(*reasoning, "effort")) refuse("reasoning.effort", "the served models have no reasoning effort control");
    if (field(*reasoning, "summary") || field(*reasoning, "generate_summary"))
      refuse("reasoning.summary", "the served models' reasoning is not summarized");
  }
  if (const json* top = field(body, "top_logprobs"); top && check_integer_range(*top, "top_logprobs", 0, 20) > 0)
    refuse("top_logprobs", "responses carry no logprobs; chat completions do (logprobs, top_logprobs)");
  if (field(body, "max_tool_calls"))
    refuse("max_tool_calls", "calls are bounded per answer by parallel_tool_calls (up to 8), not by a count");
  if (const json* tier = field(body, "service_tier"); tier && *tier != "auto" && *tier != "default")
    refuse("service_tier", "the network has one tier; send \"auto\" or \"default\" or leave it out");
}

const std::string* optional_string(const json& body, const char* key) {
  const json* value = field(body, key);
  if (!value) return nullptr;
  if (!value->is_string()) wrong_type(key, "a string", *value);
  return &value->get_ref<const std::string&>();
}

}  // namespace

ResponsesRequest translate_responses_request(const json& body) {
  if (!body.is_object())
    reject("invalid_json", std::string("request body must be a JSON object, got ") + type_name(body), "");
  const json* model = field(body, "model");
  if (!model) reject("missing_required_parameter", "'model' is required", "model");
  if (!model->is_string()) wrong_type("model", "a string", *model);
  refuse_unoffered(body);

  ResponsesRequest out;
  json& chat = out.chat_body = {{"model", *model}};
  json& echo = out.echo = {{"background", false},
                           {"instructions", nullptr},
                           {"max_output_tokens", nullptr},
                           {"max_tool_calls", nullptr},
                           {"metadata", json::object()},
                           {"parallel_tool_calls", true},
                           {"previous_response_id", nullptr},
                           {"reasoning", {{"effort", nullptr}, {"summary", nullptr}}},
                           {"service_tier", "default"},
                           {"store", false},
                           {"temperature", nullptr},
                           {"top_logprobs", 0},
                           {"top_p", nullptr},
                           {"truncation", "disabled"}};
  chat["messages"] = chat_messages(body);
  if (const json* instructions = field(body, "instructions")) echo["instructions"] = *instructions;

  translate_tools(body, chat, echo);
  translate_tool_choice(body, chat, echo);
  check_bool(body, "parallel_tool_calls", "parallel_tool_calls");
  if (const json* parallel = field(body, "parallel_tool_calls"))
    chat["parallel_tool_calls"] = echo["parallel_tool_calls"] = *parallel;
  translate_text(body, chat, echo);

  if (const json* max = field(body, "max_output_tokens")) {
    check_integer_range(*max, "max_output_tokens", 1, std::numeric_limits<int32_t>::max());
    chat["max_tokens"] = echo["max_output_tokens"] = *max;
  }
  check_number_range(body, "temperature", 0, 2);
  check_number_range(body, "top_p", 0, 1);
  for (const char* key : {"temperature", "top_p"})
    if (const json* value = field(body, key)) chat[key] = echo[key] = *value;
  if (const std::string* user = optional_string(body, "user")) chat["user"] = echo["user"] = *user;
  for (const char* key : {"safety_identifier", "prompt_cache_key"})
    if (const std::string* value = optional_string(body, key)) echo[key] = *value;
  if (const json* metadata = field(body, "metadata")) {
    check_metadata(*metadata);
    echo["metadata"] = *metadata;  // the app's own labels: echoed, never sent to an engine
  }
  for (const char* key : {"max_coefficient", "max_price", "ttft_deadline_ms",
                          "timeout"})  // Chrysalis extensions, checked by the chat path
    if (const json* value = field(body, key)) chat[key] = *value;

  check_bool(body, "stream", "stream");
  if (const json* options = field(body, "stream_options"); options && !options->is_object())
    wrong_type("stream_options", "an object", *options);
  out.stream = body.value("stream", json(false)) == true;
  chat["stream"] = out.stream;
  if (out.stream) chat["stream_options"] = {{"include_usage", true}};
  return out;
}

}  // namespace chrysalis::api
