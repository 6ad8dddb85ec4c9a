#include "api/responses_as_chat.h"

#include "api/request_field_checks.h"
#include "common/json_bounded.h"

namespace chrysalis::api {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// `path` into an ordered value, or nullptr where it is not there.
const ordered_json* at(const ordered_json& root, std::initializer_list<const char*> path) {
  const ordered_json* node = &root;
  for (const char* key : path) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

// The chat body as text, with the schemas the app wrote (text.format.schema, tools[i].parameters)
// in the app's key order: nlohmann::json sorts keys, the translation works on that.
std::string chat_text_in_app_order(const json& chat, const ordered_json& app) {
  ordered_json out = ordered_json::parse(chat.dump());
  if (auto schema = at(app, {"text", "format", "schema"}); schema && out.contains("response_format"))
    out["response_format"]["json_schema"]["schema"] = *schema;
  if (auto tools = at(app, {"tools"}); tools && tools->is_array() && out.contains("tools")) {
    for (std::size_t i = 0; i < tools->size() && i < out["tools"].size(); ++i)
      if (auto parameters = at((*tools)[i], {"parameters"}); parameters)
        out["tools"][i]["function"]["parameters"] = *parameters;
  }
  return out.dump();
}

// The chat checks name chat fields; say which Responses field the app must fix.
ApiError in_responses_terms(ApiError error) {
  static const std::pair<std::string_view, std::string_view> kRenamed[] = {{"max_tokens", "max_output_tokens"},
                                                                           {"response_format", "text.format"}};
  for (const auto& [chat, responses] : kRenamed) {
    if (error.param.rfind(chat, 0) != 0) continue;
    error.param = std::string(responses) + error.param.substr(chat.size());
    for (auto at = error.message.find(chat); at != std::string::npos;
         at = error.message.find(chat, at + responses.size()))
      error.message.replace(at, chat.size(), responses);
    break;
  }
  return error;
}

}  // namespace

std::variant<ResponsesAsChat, ApiError> responses_as_chat(std::string_view body, const ValidationLimits& limits) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return invalid_request("invalid_json", "request body is empty; expected a JSON object");
  auto parsed = parse_ordered_json_bounded(body);
  if (!parsed.ok()) return invalid_request("invalid_json", "request body " + parsed.error);
  if (!parsed.value.is_object()) return invalid_request("invalid_json", "request body must be a JSON object");
  ResponsesAsChat out;
  try {
    out.responses = translate_responses_request(json::parse(parsed.value.dump()));
  } catch (checks::Reject& r) {
    return std::move(r.error);
  }
  auto chat = validate_openai_request("/v1/chat/completions",
                                      chat_text_in_app_order(out.responses.chat_body, parsed.value), limits);
  if (auto* error = std::get_if<ApiError>(&chat)) return in_responses_terms(std::move(*error));
  out.chat = std::move(std::get<ValidatedRequest>(chat));
  return out;
}

}  // namespace chrysalis::api
