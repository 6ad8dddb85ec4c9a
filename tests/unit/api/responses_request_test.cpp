#include <gtest/gtest.h>

#include <string>

#include "api/request_field_checks.h"
#include "api/responses_request.h"

namespace {

using chrysalis::api::ApiError;
using chrysalis::api::translate_responses_request;
using chrysalis::api::checks::Reject;
using nlohmann::json;

json with(json extra) {
  json body{{"model", "tiny"}, {"input", "Hi"}};
  if (!extra.is_null()) body.update(extra);
  return body;
}

ApiError rejected(const json& body) {
  try {
    translate_responses_request(body);
  } catch (const Reject& r) {
    return r.error;
  }
  ADD_FAILURE() << "accepted: " << body.dump();
  return {};
}

void expect_reject(const json& body, const std::string& code, const std::string& param, const std::string& words) {
  auto error = rejected(body);
  EXPECT_EQ(error.status, 400) << body.dump();
  EXPECT_EQ(error.code, code) << error.message;
  EXPECT_EQ(error.param, param) << error.message;
  EXPECT_NE(error.message.find(words), std::string::npos) << error.message;
}

TEST(ResponsesRequest, StringInputIsOneUserMessage) {
  auto out = translate_responses_request({{"model", "tiny"}, {"input", "Hello"}});
  EXPECT_EQ(out.chat_body["model"], "tiny");
  EXPECT_EQ(out.chat_body["messages"], json::parse(R"([{"role":"user","content":"Hello"}])"));
  EXPECT_EQ(out.chat_body["stream"], false);
  EXPECT_FALSE(out.chat_body.contains("stream_options"));
  EXPECT_FALSE(out.stream);
  for (const char* absent : {"max_tokens", "temperature", "top_p", "tools", "tool_choice", "response_format", "user",
                             "metadata", "parallel_tool_calls"})
    EXPECT_FALSE(out.chat_body.contains(absent)) << absent;
}

TEST(ResponsesRequest, EchoDefaults) {
  auto echo = translate_responses_request(with({})).echo;
  EXPECT_EQ(echo["instructions"], nullptr);
  EXPECT_EQ(echo["max_output_tokens"], nullptr);
  EXPECT_EQ(echo["metadata"], json::object());
  EXPECT_EQ(echo["parallel_tool_calls"], true);
  EXPECT_EQ(echo["temperature"], nullptr);
  EXPECT_EQ(echo["top_p"], nullptr);
  EXPECT_EQ(echo["tool_choice"], "auto");
  EXPECT_EQ(echo["tools"], json::array());
  EXPECT_EQ(echo["text"], json::parse(R"({"format":{"type":"text"},"verbosity":"medium"})"));
  EXPECT_EQ(echo["store"], false);
  EXPECT_EQ(echo["truncation"], "disabled");
  EXPECT_EQ(echo["previous_response_id"], nullptr);
  EXPECT_EQ(echo["reasoning"], json::parse(R"({"effort":null,"summary":null})"));
  EXPECT_EQ(echo["background"], false);
  EXPECT_FALSE(echo.contains("user"));
}

TEST(ResponsesRequest, InstructionsLeadAsSystemMessage) {
  auto out = translate_responses_request(with({{"instructions", "Be brief."}}));
  EXPECT_EQ(out.chat_body["messages"],
            json::parse(R"([{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}])"));
  EXPECT_EQ(out.echo["instructions"], "Be brief.");
}

TEST(ResponsesRequest, MessageItemsWithAndWithoutType) {
  auto out = translate_responses_request(with({{"input", json::parse(R"([
    {"role": "developer", "content": "Rules."},
    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hel"}, {"type": "input_text", "text": "lo"}]},
    {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
     "content": [{"type": "output_text", "text": "Hi there", "annotations": []}]},
    {"role": "system", "content": "More rules."},
    {"type": "reasoning", "id": "rs_1", "summary": []}
  ])")}}));
  EXPECT_EQ(out.chat_body["messages"], json::parse(R"([
    {"role": "system", "content": "Rules."},
    {"role": "user", "content": "Hello"},
    {"role": "assistant", "content": "Hi there"},
    {"role": "system", "content": "More rules."}
  ])"));
}

TEST(ResponsesRequest, FunctionCallsMergeIntoOneAssistantTurn) {
  auto out = translate_responses_request(with({{"input", json::parse(R"([
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {"type": "function_call", "call_id": "call_a", "name": "weather", "arguments": "{\"city\":\"Paris\"}"},
    {"type": "function_call", "call_id": "call_b", "name": "weather", "arguments": "{\"city\":\"Rome\"}", "id": "fc_2", "status": "completed"},
    {"type": "function_call_output", "call_id": "call_a", "output": "sunny"},
    {"type": "function_call_output", "call_id": "call_b", "output": [{"type": "input_text", "text": "rain"}]}
  ])")}}));
  EXPECT_EQ(out.chat_body["messages"], json::parse(R"([
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {"role": "assistant", "content": null, "tool_calls": [
      {"id": "call_a", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}},
      {"id": "call_b", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Rome\"}"}}]},
    {"role": "tool", "tool_call_id": "call_a", "content": "sunny"},
    {"role": "tool", "tool_call_id": "call_b", "content": "rain"}
  ])"));
}

TEST(ResponsesRequest, FunctionCallJoinsTheAssistantMessageBeforeIt) {
  auto out = translate_responses_request(with({{"input", json::parse(R"([
    {"role": "user", "content": "Look it up"},
    {"role": "assistant", "content": "Checking."},
    {"type": "reasoning", "id": "rs_1", "summary": []},
    {"type": "function_call", "call_id": "c1", "name": "find", "arguments": "{}"},
    {"type": "function_call_output", "call_id": "c1", "output": "found"},
    {"type": "function_call", "call_id": "c2", "name": "find", "arguments": "{}"}
  ])")}}));
  const json& messages = out.chat_body["messages"];
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[1]["content"], "Checking.");
  ASSERT_EQ(messages[1]["tool_calls"].size(), 1u);
  EXPECT_EQ(messages[1]["tool_calls"][0]["id"], "c1");
  EXPECT_EQ(messages[2]["role"], "tool");
  EXPECT_EQ(messages[3]["role"], "assistant");  // after a tool result, a new assistant turn
  EXPECT_EQ(messages[3]["tool_calls"][0]["id"], "c2");
}

TEST(ResponsesRequest, BadInputs) {
  expect_reject({{"model", "tiny"}}, "missing_required_parameter", "input", "'input' is required");
  expect_reject(with({{"input", json::array()}}), "invalid_value", "input", "at least one item");
  expect_reject(with({{"input", 5}}), "invalid_type", "input", "a string or an array");
  expect_reject(with({{"input", json::array({"hi"})}}), "invalid_type", "input[0]", "an object");
  expect_reject(with({{"input", json::parse(R"([{"role":"tool","content":"x"}])")}}), "invalid_value", "input[0].role",
                "user, assistant, system, developer");
  expect_reject(with({{"input", json::parse(R"([{"role":"user"}])")}}), "missing_required_parameter",
                "input[0].content", "required");
  expect_reject(with({{"input", json::parse(R"([{"role":"user","content":"a"},{"role":"user","content":7}])")}}),
                "invalid_type", "input[1].content", "a string or a non-empty array");
  expect_reject(with({{"input", json::parse(R"([{"role":"user","content":[{"type":"input_text"}]}])")}}),
                "missing_required_parameter", "input[0].content[0].text", "required");
  expect_reject(with({{"input", json::parse(R"([{"role":"user","content":[{"type":"text","text":"a"}]}])")}}),
                "invalid_value", "input[0].content[0].type", "input_text or output_text");
  expect_reject(with({{"input", json::parse(R"([{"type":"function_call","name":"f","arguments":"{}"}])")}}),
                "missing_required_parameter", "input[0].call_id", "required");
  expect_reject(
      with({{"input", json::parse(R"([{"type":"function_call","call_id":"c","name":"a b","arguments":"{}"}])")}}),
      "invalid_value", "input[0].name", "letters, digits");
  expect_reject(with({{"input", json::parse(R"([{"type":"function_call","call_id":"c","name":"f","arguments":{}}])")}}),
                "invalid_type", "input[0].arguments", "a string");
  expect_reject(with({{"input", json::parse(R"([{"type":"function_call_output","call_id":"c"}])")}}),
                "missing_required_parameter", "input[0].output", "required");
  expect_reject(with({{"model", 3}}), "invalid_type", "model", "a string");
  expect_reject({{"input", "hi"}}, "missing_required_parameter", "model", "'model' is required");
  expect_reject(json::array(), "invalid_json", "", "JSON object");
}

TEST(ResponsesRequest, NonTextPartsAndOtherItemsAreRefused) {
  for (const char* type : {"input_image", "input_file", "input_audio"}) {
    json input = json::array({{{"role", "user"},
                               {"content", json::array({{{"type", "input_text"}, {"text", "see"}},
                                                        {{"type", type}, {"image_url", "https://x"}}})}}});
    expect_reject(with({{"input", input}}), "unsupported_parameter", "input[0].content[1].type", "text only");
  }
  expect_reject(
      with({{"input",
             json::parse(R"([{"type":"function_call_output","call_id":"c","output":[{"type":"input_image"}]}])")}}),
      "unsupported_parameter", "input[0].output[0].type", "text only");
  for (const char* type : {"item_reference", "web_search_call", "computer_call_output", "banana"})
    expect_reject(with({{"input", json::array({{{"type", type}, {"id", "x"}}})}}), "unsupported_parameter",
                  "input[0].type", "function_call_output items");
}

TEST(ResponsesRequest, TooManyItems) {
  json input = json::array();
  for (int i = 0; i < 4097; ++i) input.push_back({{"role", "user"}, {"content", "x"}});
  expect_reject(with({{"input", input}}), "invalid_value", "input", "the limit is 4096");
  input.erase(input.begin());
  EXPECT_EQ(translate_responses_request(with({{"input", input}})).chat_body["messages"].size(), 4096u);
}

TEST(ResponsesRequest, FunctionToolsNest) {
  auto out = translate_responses_request(with({{"tools", json::parse(R"([
    {"type": "function", "name": "weather", "description": "Get weather",
     "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}, "strict": false},
    {"type": "function", "name": "now"}
  ])")}}));
  EXPECT_EQ(out.chat_body["tools"], json::parse(R"([
    {"type": "function", "function": {"name": "weather", "description": "Get weather",
     "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}, "strict": false}},
    {"type": "function", "function": {"name": "now"}}
  ])"));
  EXPECT_EQ(out.echo["tools"][0]["name"], "weather");
  EXPECT_EQ(out.echo["tools"][0]["strict"], false);
  EXPECT_EQ(out.echo["tools"][1],
            json::parse(R"({"type": "function", "name": "now", "parameters": null, "strict": true})"));
}

TEST(ResponsesRequest, BuiltInToolsAreRefused) {
  for (const char* type : {"web_search", "web_search_preview", "file_search", "code_interpreter",
                           "computer_use_preview", "image_generation", "mcp", "local_shell", "custom"}) {
    json tools = json::array({{{"type", "function"}, {"name", "f"}}, {{"type", type}}});
    expect_reject(with({{"tools", tools}}), "unsupported_parameter", "tools[1].type", "only function tools");
  }
  expect_reject(with({{"tools", json::parse(R"([{"type":"function"}])")}}), "missing_required_parameter",
                "tools[0].name", "required");
  expect_reject(with({{"tools", json::parse(R"([{"type":"function","name":"f","parameters":"x"}])")}}), "invalid_type",
                "tools[0].parameters", "JSON schema");
  expect_reject(with({{"tools", json::parse(R"({"type":"function"})")}}), "invalid_type", "tools", "an array");
}

TEST(ResponsesRequest, ToolChoice) {
  json tools = json::parse(R"([{"type":"function","name":"f"}])");
  for (const char* mode : {"auto", "none", "required"}) {
    auto out = translate_responses_request(with({{"tools", tools}, {"tool_choice", mode}}));
    EXPECT_EQ(out.chat_body["tool_choice"], mode);
    EXPECT_EQ(out.echo["tool_choice"], mode);
  }
  auto out =
      translate_responses_request(with({{"tools", tools}, {"tool_choice", {{"type", "function"}, {"name", "f"}}}}));
  EXPECT_EQ(out.chat_body["tool_choice"], json::parse(R"({"type":"function","function":{"name":"f"}})"));
  EXPECT_EQ(out.echo["tool_choice"], json::parse(R"({"type":"function","name":"f"})"));
  expect_reject(with({{"tool_choice", {{"type", "file_search"}}}}), "unsupported_parameter", "tool_choice",
                "only {\"type\": \"function\"");
  expect_reject(with({{"tool_choice", {{"type", "allowed_tools"}, {"mode", "auto"}, {"tools", json::array()}}}}),
                "unsupported_parameter", "tool_choice", "not supported");
  expect_reject(with({{"tool_choice", "sometimes"}}), "invalid_value", "tool_choice", "\"required\"");
  expect_reject(with({{"tool_choice", {{"type", "function"}}}}), "missing_required_parameter", "tool_choice.name",
                "required");
}

TEST(ResponsesRequest, SamplingAndLimits) {
  auto out = translate_responses_request(with({{"max_output_tokens", 64},
                                               {"temperature", 0.5},
                                               {"top_p", 0.9},
                                               {"parallel_tool_calls", false},
                                               {"user", "u-1"},
                                               {"metadata", {{"team", "a"}}},
                                               {"max_coefficient", 2000},
                                               {"timeout", 30},
                                               {"some_future_field", 1}}));
  const json& chat = out.chat_body;
  EXPECT_EQ(chat["max_tokens"], 64);
  EXPECT_EQ(chat["temperature"], 0.5);
  EXPECT_EQ(chat["top_p"], 0.9);
  EXPECT_EQ(chat["parallel_tool_calls"], false);
  EXPECT_EQ(chat["user"], "u-1");
  EXPECT_EQ(chat["max_coefficient"], 2000);
  EXPECT_EQ(chat["timeout"], 30);
  EXPECT_FALSE(chat.contains("metadata"));
  EXPECT_FALSE(chat.contains("some_future_field"));
  EXPECT_FALSE(chat.contains("max_output_tokens"));
  EXPECT_EQ(out.echo["max_output_tokens"], 64);
  EXPECT_EQ(out.echo["temperature"], 0.5);
  EXPECT_EQ(out.echo["top_p"], 0.9);
  EXPECT_EQ(out.echo["parallel_tool_calls"], false);
  EXPECT_EQ(out.echo["user"], "u-1");
  EXPECT_EQ(out.echo["metadata"], json({{"team", "a"}}));

  expect_reject(with({{"max_output_tokens", 0}}), "invalid_value", "max_output_tokens", "from 1");
  expect_reject(with({{"max_output_tokens", 1.5}}), "invalid_type", "max_output_tokens", "an integer");
  expect_reject(with({{"temperature", 3}}), "invalid_value", "temperature", "between 0 and 2");
  expect_reject(with({{"top_p", "high"}}), "invalid_type", "top_p", "a number");
  expect_reject(with({{"parallel_tool_calls", "yes"}}), "invalid_type", "parallel_tool_calls", "a boolean");
  expect_reject(with({{"user", 5}}), "invalid_type", "user", "a string");
}

TEST(ResponsesRequest, Metadata) {
  json many = json::object();
  for (int i = 0; i < 17; ++i) many["k" + std::to_string(i)] = "v";
  expect_reject(with({{"metadata", many}}), "invalid_value", "metadata", "16 keys");
  expect_reject(with({{"metadata", {{"k", 1}}}}), "invalid_type", "metadata.k", "a string");
  expect_reject(with({{"metadata", {{"k", std::string(513, 'x')}}}}), "invalid_value", "metadata.k", "512");
  expect_reject(with({{"metadata", {{std::string(65, 'k'), "v"}}}}), "invalid_value", "metadata", "64");
  expect_reject(with({{"metadata", "x"}}), "invalid_type", "metadata", "an object");
}

TEST(ResponsesRequest, TextFormat) {
  auto plain = translate_responses_request(with({{"text", {{"format", {{"type", "text"}}}}}}));
  EXPECT_FALSE(plain.chat_body.contains("response_format"));
  auto object = translate_responses_request(with({{"text", {{"format", {{"type", "json_object"}}}}}}));
  EXPECT_EQ(object.chat_body["response_format"], json({{"type", "json_object"}}));
  EXPECT_EQ(object.echo["text"]["format"], json({{"type", "json_object"}}));

  json format = json::parse(R"({"type":"json_schema","name":"person","description":"A person",
    "schema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]},"strict":true})");
  auto schema = translate_responses_request(with({{"text", {{"format", format}}}}));
  EXPECT_EQ(schema.chat_body["response_format"], json::parse(R"({"type":"json_schema","json_schema":{
    "name":"person","description":"A person","strict":true,
    "schema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}}})"));
  EXPECT_EQ(schema.echo["text"]["format"], format);
  auto bare = translate_responses_request(
      with({{"text", {{"format", {{"type", "json_schema"}, {"name", "n"}, {"schema", json::object()}}}}}}));
  EXPECT_EQ(bare.chat_body["response_format"]["json_schema"], json::parse(R"({"name":"n","schema":{}})"));

  expect_reject(with({{"text", {{"format", {{"type", "json_schema"}, {"schema", json::object()}}}}}}),
                "missing_required_parameter", "text.format.name", "required");
  expect_reject(with({{"text", {{"format", {{"type", "json_schema"}, {"name", "n"}}}}}}), "missing_required_parameter",
                "text.format.schema", "required");
  expect_reject(with({{"text", {{"format", {{"type", "yaml"}}}}}}), "invalid_value", "text.format.type",
                "text, json_object, json_schema");
  expect_reject(with({{"text", {{"verbosity", "low"}}}}), "unsupported_parameter", "text.verbosity",
                "no verbosity control");
  EXPECT_NO_THROW(translate_responses_request(with({{"text", {{"verbosity", "medium"}}}})));
}

TEST(ResponsesRequest, Streaming) {
  auto out =
      translate_responses_request(with({{"stream", true}, {"stream_options", {{"include_obfuscation", false}}}}));
  EXPECT_TRUE(out.stream);
  EXPECT_EQ(out.chat_body["stream"], true);
  EXPECT_EQ(out.chat_body["stream_options"], json({{"include_usage", true}}));
  expect_reject(with({{"stream", "yes"}}), "invalid_type", "stream", "a boolean");
}

TEST(ResponsesRequest, UnofferedFeaturesAreRefused) {
  struct Case {
    json extra;
    const char* param;
    const char* words;
  };
  const Case cases[] = {
      {{{"previous_response_id", "resp_1"}}, "previous_response_id", "send the whole conversation in input"},
      {{{"store", true}}, "store", "stores no responses"},
      {{{"background", true}}, "background", "background"},
      {{{"conversation", "conv_1"}}, "conversation", "stores no conversation"},
      {{{"prompt", {{"id", "pmpt_1"}}}}, "prompt", "prompt templates"},
      {{{"include", json::array({"reasoning.encrypted_content"})}}, "include", "nothing"},
      {{{"truncation", "auto"}}, "truncation", "never cut"},
      {{{"reasoning", {{"effort", "low"}}}}, "reasoning.effort", "no reasoning effort control"},
      {{{"reasoning", {{"summary", "auto"}}}}, "reasoning.summary", "not summarized"},
      {{{"top_logprobs", 2}}, "top_logprobs", "no logprobs"},
      {{{"max_tool_calls", 3}}, "max_tool_calls", "parallel_tool_calls"},
      {{{"service_tier", "flex"}}, "service_tier", "one tier"},
  };
  for (const auto& c : cases) {
    auto error = rejected(with(c.extra));
    EXPECT_EQ(error.code, "unsupported_parameter") << c.param;
    EXPECT_EQ(error.param, c.param);
    EXPECT_NE(error.message.find("is not supported"), std::string::npos) << error.message;
    if (std::string(c.words) != "nothing") {
      EXPECT_NE(error.message.find(c.words), std::string::npos) << error.message;
    }
  }
  // Their harmless values pass.
  EXPECT_NO_THROW(translate_responses_request(with({{"previous_response_id", nullptr},
                                                    {"store", false},
                                                    {"background", false},
                                                    {"include", json::array()},
                                                    {"truncation", "disabled"},
                                                    {"reasoning", {{"effort", nullptr}}},
                                                    {"top_logprobs", 0},
                                                    {"service_tier", "auto"}})));
  EXPECT_NO_THROW(translate_responses_request(with({{"service_tier", "default"}})));
  expect_reject(with({{"truncation", "sometimes"}}), "invalid_value", "truncation", "\"disabled\"");
  expect_reject(with({{"top_logprobs", 21}}), "invalid_value", "top_logprobs", "from 0 to 20");
}

}  // namespace
