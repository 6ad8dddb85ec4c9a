#include "api/tool_request.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "api/request_field_checks.h"

namespace chrysalis::api {
namespace {

using nlohmann::json;
using namespace checks;

bool function_name(const json& value) {
  if (!value.is_string()) return false;
  const auto& name = value.get_ref<const std::string&>();
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
}

const json& required(const json& object, const char* key, const std::string& param) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null())
    reject("missing_required_parameter", "'" + param + "." + key + "' is required", param + "." + key);
  return *it;
}

std::string check_tool(const json& tool, const std::string& param) {
  if (!tool.is_object()) wrong_type(param, "an object", tool);
  if (required(tool, "type", param) != "function")
    reject("invalid_value", "'" + param + ".type' must be \"function\"", param + ".type");
  const json& fn = required(tool, "function", param);
  if (!fn.is_object()) wrong_type(param + ".function", "an object", fn);
  const json& name = required(fn, "name", param + ".function");
  if (!function_name(name))
    reject("invalid_value", "'" + param + ".function.name' must be 1 to 64 letters, digits, '_' or '-'",
           param + ".function.name");
  if (const json* d = field(fn, "description"); d && !d->is_string())
    wrong_type(param + ".function.description", "a string", *d);
  if (const json* p = field(fn, "parameters"); p && !p->is_object())
    wrong_type(param + ".function.parameters", "a JSON schema object", *p);
  check_bool(fn, "strict", param + ".function.strict");
  return name.get<std::string>();
}

}  // namespace

void check_tools(json& body, bool chat) {
  for (const char* legacy : {"functions", "function_call"})
    if (field(body, legacy)) refuse(legacy, "it is the deprecated form of tools; send 'tools' and 'tool_choice'");
  const json* tools = field(body, "tools");
  bool offered = tools && !(tools->is_array() && tools->empty());
  if (offered && !chat) refuse("tools", "tools are for chat completions");
  std::set<std::string, std::less<>> names;
  if (offered) {
    if (!tools->is_array()) wrong_type("tools", "an array of tools", *tools);
    if (tools->size() > kMaxTools)
      reject("invalid_value", "'tools' holds " + std::to_string(tools->size()) + " tools; the limit is " +
                                  std::to_string(kMaxTools), "tools");
    for (std::size_t i = 0; i < tools->size(); ++i) {
      auto param = "tools[" + std::to_string(i) + "]";
      if (!names.insert(check_tool((*tools)[i], param)).second)
        reject("invalid_value", "'" + param + ".function.name' repeats an earlier tool's name", param + ".function.name");
    }
  }
  check_bool(body, "parallel_tool_calls", "parallel_tool_calls");
  const json* choice = field(body, "tool_choice");
  if (!choice) return;
  if (*choice == "none" || *choice == "auto") {
    if (!offered) body.erase("tool_choice");
    return;
  }
  if (!offered) reject("invalid_value", "'tool_choice' needs 'tools'", "tool_choice");
  if (*choice == "required") return;
  const json* fn = choice->is_object() && (*choice)["type"] == "function" ? field(*choice, "function") : nullptr;
  const json* name = fn && fn->is_object() ? field(*fn, "name") : nullptr;
  if (!name || !name->is_string())
    reject("invalid_value",
           "'tool_choice' must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}",
           "tool_choice");
  if (!names.contains(name->get_ref<const std::string&>()))
    reject("invalid_value", "'tool_choice' names '" + name->get<std::string>() + "', which is not among the tools",
           "tool_choice");
}

void check_tool_calls(const json& calls, const std::string& param) {
  if (!calls.is_array() || calls.empty()) wrong_type(param, "a non-empty array of tool calls", calls);
  if (calls.size() > kMaxTools) reject("invalid_value", "'" + param + "' holds too many tool calls", param);
  for (std::size_t j = 0; j < calls.size(); ++j) {
    auto at = param + "[" + std::to_string(j) + "]";
    const json& call = calls[j];
    if (!call.is_object()) wrong_type(at, "an object", call);
    if (!required(call, "id", at).is_string()) wrong_type(at + ".id", "a string", call["id"]);
    const json& fn = required(call, "function", at);
    if (!fn.is_object()) wrong_type(at + ".function", "an object", fn);
    if (!function_name(required(fn, "name", at + ".function")))
      reject("invalid_value", "'" + at + ".function.name' must name a function", at + ".function.name");
    if (!required(fn, "arguments", at + ".function").is_string())
      wrong_type(at + ".function.arguments", "a string of JSON", fn["arguments"]);
  }
}

}  // namespace chrysalis::api
