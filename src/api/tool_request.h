#pragma once
// Tool calling in a chat request, checked at the client before anything leaves it: the tools
// offered, tool_choice, parallel_tool_calls, and the tool calls of earlier assistant turns.
// Violations throw checks::Reject with the 400 naming the field.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace chrysalis::api {

// OpenAI's limit on the tools of a request, and here also on the tool calls of one answer.
inline constexpr std::size_t kMaxTools = 128;

// `chat` false (completions): tools are refused by name. tool_choice "none"/"auto" without tools
// is dropped from the body (meaningless, and some engines reject it).
void check_tools(nlohmann::json& body, bool chat);

// messages[i].tool_calls of an assistant message: [{id, type: "function", function: {name, arguments}}].
void check_tool_calls(const nlohmann::json& calls, const std::string& param);

}  // namespace chrysalis::api
