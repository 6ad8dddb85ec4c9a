#include <gtest/gtest.h>

#include "api/openai_request.h"

namespace {

using namespace chrysalis::api;
using nlohmann::json;

const std::string kChat = "/v1/chat/completions";
const std::string kCompletions = "/v1/completions";

json chat_body() { return {{"model", "chrysalis-test"}, {"messages", {{{"role", "user"}, {"content", "Hello"}}}}}; }

ValidatedRequest expect_ok(const std::string& path, const json& body, const ValidationLimits& limits = {}) {
  auto result = validate_openai_request(path, body.dump(), limits);
  if (auto* error = std::get_if<ApiError>(&result)) {
    ADD_FAILURE() << "unexpected error: " << error->to_json().dump();
    return {};
  }
  return std::get<ValidatedRequest>(result);
}

ApiError expect_error(const std::string& path, std::string_view body, const ValidationLimits& limits = {}) {
  auto result = validate_openai_request(path, body, limits);
  if (!std::holds_alternative<ApiError>(result)) {
    ADD_FAILURE() << "accepted: " << body;
    return {};
  }
  return std::get<ApiError>(result);
}

ApiError expect_error(const std::string& path, const json& body, const ValidationLimits& limits = {}) {
  return expect_error(path, std::string_view(body.dump()), limits);
}

// One bad input: expected status, code and param.
void expect_rejected(const json& body, const std::string& code, const std::string& param,
                     const std::string& path = kChat) {
  SCOPED_TRACE(body.dump());
  auto error = expect_error(path, body);
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_EQ(error.code, code);
  EXPECT_EQ(error.param, param);
  if (!param.empty()) {
    EXPECT_NE(error.message.find(param), std::string::npos) << error.message;
  }
}

json with(json body, const std::string& key, json value) {
  body[key] = std::move(value);
  return body;
}

TEST(OpenAiRequest, MinimalChatIsNormalized) {
  auto request = expect_ok(kChat, chat_body());
  EXPECT_EQ(request.kind, ApiKind::Chat);
  EXPECT_EQ(request.model, "chrysalis-test");
  EXPECT_EQ(request.max_tokens, 1000u);
  EXPECT_FALSE(request.stream);
  EXPECT_FALSE(request.include_usage);
  EXPECT_EQ(request.max_coefficient, 4000u);
  EXPECT_EQ(request.timeout_ms, 120000u);
  EXPECT_EQ(request.body["max_tokens"], 1000);
  EXPECT_EQ(request.body["stream"], true);
  EXPECT_EQ(request.body["stream_options"], (json{{"include_usage", true}}));
  EXPECT_EQ(request.body["model"], "chrysalis-test");
  EXPECT_EQ(request.body["messages"], chat_body()["messages"]);
}

TEST(OpenAiRequest, StreamingWithUsageAndExtensions) {
  json body = chat_body();
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  body["max_completion_tokens"] = 64;
  body["max_coefficient"] = 1500;
  body["timeout"] = 30;
  body["max_price"] = 5000;
  body["ttft_deadline_ms"] = 300;
  body["temperature"] = 0.7;
  body["vendor_specific"] = "kept";
  auto request = expect_ok(kChat, body);
  EXPECT_EQ(request.max_price, 5000u);
  EXPECT_EQ(request.ttft_deadline_ms, 300u);
  EXPECT_FALSE(request.body.contains("max_price"));
  EXPECT_FALSE(request.body.contains("ttft_deadline_ms"));
  EXPECT_TRUE(request.stream);
  EXPECT_TRUE(request.include_usage);
  EXPECT_EQ(request.max_tokens, 64u);
  EXPECT_EQ(request.max_coefficient, 1500u);
  EXPECT_EQ(request.timeout_ms, 30000u);
  EXPECT_EQ(request.body["max_tokens"], 64);
  EXPECT_FALSE(request.body.contains("max_completion_tokens"));
  EXPECT_FALSE(request.body.contains("max_coefficient"));
  EXPECT_FALSE(request.body.contains("timeout"));
  EXPECT_EQ(request.body["vendor_specific"], "kept");
  EXPECT_EQ(request.body["temperature"], 0.7);
}

TEST(OpenAiRequest, StreamWithoutUsageStillForcesUsageUpstream) {
  auto request = expect_ok(kChat, with(chat_body(), "stream", true));
  EXPECT_TRUE(request.stream);
  EXPECT_FALSE(request.include_usage);
  EXPECT_EQ(request.body["stream_options"]["include_usage"], true);
  request = expect_ok(kChat, with(with(chat_body(), "stream", true), "stream_options", {{"include_usage", false}}));
  EXPECT_FALSE(request.include_usage);
  EXPECT_EQ(request.body["stream_options"]["include_usage"], true);
}

TEST(OpenAiRequest, CompletionWithPrompt) {
  json body{{"model", "m"}, {"prompt", "Once upon"}, {"max_tokens", 5}, {"stop", {"\n", "."}}, {"seed", 42}};
  auto request = expect_ok(kCompletions, body);
  EXPECT_EQ(request.kind, ApiKind::Completion);
  EXPECT_EQ(request.max_tokens, 5u);
  expect_ok(kCompletions, json{{"model", "m"}, {"prompt", {"one"}}});
}

TEST(OpenAiRequest, TextPartsAndAllRolesAreAccepted) {
  json body = chat_body();
  body["messages"] = {{{"role", "system"}, {"content", "s"}},
                      {{"role", "developer"}, {"content", "d"}},
                      {{"role", "user"}, {"content", {{{"type", "text"}, {"text", "hi"}}}}},
                      {{"role", "assistant"}, {"content", "a"}},
                      {{"role", "tool"}, {"content", "t"}, {"tool_call_id", "x"}}};
  expect_ok(kChat, body);
}

TEST(OpenAiRequest, NullOptionalFieldsMeanAbsent) {
  json body = chat_body();
  for (const char* key : {"temperature", "top_p", "n", "stop", "seed", "max_tokens", "stream", "stream_options",
                          "tools", "logprobs", "presence_penalty"})
    body[key] = nullptr;
  auto request = expect_ok(kChat, body);
  EXPECT_EQ(request.max_tokens, 1000u);
}

TEST(OpenAiRequest, UnknownPathIs404) {
  auto error = expect_error("/v1/images/generations", std::string_view("{}"));
  EXPECT_EQ(error.status, 404);
  EXPECT_EQ(error.code, "unknown_endpoint");
  EXPECT_NE(error.message.find("/v1/images/generations"), std::string::npos);
}

TEST(OpenAiRequest, BodyMustBeJsonObject) {
  auto error = expect_error(kChat, std::string_view("{\"model\": x}"));
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.code, "invalid_json");
  EXPECT_NE(error.message.find("byte 11"), std::string::npos) << error.message;
  EXPECT_EQ(expect_error(kChat, std::string_view("")).code, "invalid_json");
  EXPECT_EQ(expect_error(kChat, std::string_view("[1,2]")).code, "invalid_json");
  EXPECT_EQ(expect_error(kChat, std::string_view("\"text\"")).code, "invalid_json");
}

TEST(OpenAiRequest, ModelIsRequired) {
  json body = chat_body();
  body.erase("model");
  expect_rejected(body, "missing_required_parameter", "model");
  expect_rejected(with(chat_body(), "model", 5), "invalid_type", "model");
  expect_rejected(with(chat_body(), "model", ""), "invalid_value", "model");
}

TEST(OpenAiRequest, MessagesAreChecked) {
  json body = chat_body();
  body.erase("messages");
  expect_rejected(body, "missing_required_parameter", "messages");
  expect_rejected(with(chat_body(), "messages", "hi"), "invalid_type", "messages");
  expect_rejected(with(chat_body(), "messages", json::array()), "invalid_value", "messages");
  expect_rejected(with(chat_body(), "messages", {"hi"}), "invalid_type", "messages[0]");
  expect_rejected(with(chat_body(), "messages", {{{"content", "x"}}}), "missing_required_parameter",
                  "messages[0].role");
  expect_rejected(with(chat_body(), "messages", {{{"role", 1}, {"content", "x"}}}), "invalid_type", "messages[0].role");
  expect_rejected(
      with(chat_body(), "messages", {{{"role", "user"}, {"content", "x"}}, {{"role", "robot"}, {"content", "x"}}}),
      "invalid_value", "messages[1].role");
  expect_rejected(with(chat_body(), "messages", {{{"role", "user"}}}), "missing_required_parameter",
                  "messages[0].content");
  expect_rejected(with(chat_body(), "messages", {{{"role", "user"}, {"content", 3}}}), "invalid_type",
                  "messages[0].content");
  expect_rejected(with(chat_body(), "messages", {{{"role", "user"}, {"content", {{{"type", "image_url"}}}}}}),
                  "unsupported_content_type", "messages[0].content[0].type");
  expect_rejected(with(chat_body(), "messages", {{{"role", "user"}, {"content", {{{"type", "text"}, {"text", 1}}}}}}),
                  "invalid_type", "messages[0].content[0].text");
}

TEST(OpenAiRequest, PromptIsChecked) {
  json base{{"model", "m"}};
  expect_rejected(base, "missing_required_parameter", "prompt", kCompletions);
  expect_rejected(with(base, "prompt", 5), "invalid_type", "prompt", kCompletions);
  expect_rejected(with(base, "prompt", {1, 2}), "invalid_type", "prompt", kCompletions);
  expect_rejected(with(base, "prompt", json::array()), "invalid_value", "prompt", kCompletions);
  expect_rejected(with(base, "prompt", {"a", "b"}), "unsupported_parameter", "prompt", kCompletions);
}

TEST(OpenAiRequest, SamplingParametersAreTypeAndRangeChecked) {
  expect_rejected(with(chat_body(), "temperature", "hot"), "invalid_type", "temperature");
  expect_rejected(with(chat_body(), "temperature", 2.5), "invalid_value", "temperature");
  expect_rejected(with(chat_body(), "temperature", -0.1), "invalid_value", "temperature");
  expect_rejected(with(chat_body(), "top_p", 1.5), "invalid_value", "top_p");
  expect_rejected(with(chat_body(), "presence_penalty", -3), "invalid_value", "presence_penalty");
  expect_rejected(with(chat_body(), "frequency_penalty", 2.01), "invalid_value", "frequency_penalty");
  expect_rejected(with(chat_body(), "frequency_penalty", true), "invalid_type", "frequency_penalty");
  expect_rejected(with(chat_body(), "seed", 1.5), "invalid_type", "seed");
  expect_rejected(with(chat_body(), "seed", "1"), "invalid_type", "seed");
  expect_rejected(with(chat_body(), "stream", "yes"), "invalid_type", "stream");
  expect_rejected(with(chat_body(), "stream_options", true), "invalid_type", "stream_options");
  expect_rejected(with(chat_body(), "stream_options", {{"include_usage", 1}}), "invalid_type",
                  "stream_options.include_usage");
  expect_rejected(with(chat_body(), "stop", 5), "invalid_type", "stop");
  expect_rejected(with(chat_body(), "stop", {"a", 1}), "invalid_type", "stop");
  expect_rejected(with(chat_body(), "stop", {"a", "b", "c", "d", "e"}), "invalid_value", "stop");
  expect_ok(kChat, with(with(chat_body(), "temperature", 0), "top_p", 1));
  expect_ok(kChat, with(chat_body(), "stop", "\n"));
}

TEST(OpenAiRequest, MaxTokensMustBeASaneInteger) {
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    expect_rejected(with(chat_body(), key, -1), "invalid_value", key);
    expect_rejected(with(chat_body(), key, 0), "invalid_value", key);
    expect_rejected(with(chat_body(), key, 10.5), "invalid_type", key);
    expect_rejected(with(chat_body(), key, "100"), "invalid_type", key);
    expect_rejected(with(chat_body(), key, 1e12), "invalid_value", key);
    expect_rejected(with(chat_body(), key, 18446744073709551615ull), "invalid_value", key);
    expect_rejected(with(chat_body(), key, 32769), "invalid_value", key);
  }
  EXPECT_EQ(expect_ok(kChat, with(chat_body(), "max_tokens", 32768)).max_tokens, 32768u);
  EXPECT_EQ(expect_ok(kChat, with(chat_body(), "max_tokens", 100.0)).max_tokens, 100u);
  // Limits come from the caller's configuration.
  ValidationLimits limits;
  limits.default_max_tokens = 50;
  limits.max_tokens_limit = 200;
  EXPECT_EQ(expect_ok(kChat, chat_body(), limits).max_tokens, 50u);
  EXPECT_EQ(expect_error(kChat, with(chat_body(), "max_tokens", 201), limits).param, "max_tokens");
}

TEST(OpenAiRequest, MaxCompletionTokensWinsOverMaxTokens) {
  json body = with(with(chat_body(), "max_tokens", 10), "max_completion_tokens", 20);
  auto request = expect_ok(kChat, body);
  EXPECT_EQ(request.max_tokens, 20u);
  EXPECT_EQ(request.body["max_tokens"], 20);
  EXPECT_FALSE(request.body.contains("max_completion_tokens"));
}

TEST(OpenAiRequest, ChrysalisExtensionsAreRangeChecked) {
  expect_rejected(with(chat_body(), "max_coefficient", -1), "invalid_value", "max_coefficient");
  expect_rejected(with(chat_body(), "max_coefficient", 1000000001), "invalid_value", "max_coefficient");
  expect_rejected(with(chat_body(), "max_coefficient", "cheap"), "invalid_type", "max_coefficient");
  expect_rejected(with(chat_body(), "timeout", 0), "invalid_value", "timeout");
  expect_rejected(with(chat_body(), "timeout", 601), "invalid_value", "timeout");
  expect_rejected(with(chat_body(), "timeout", "soon"), "invalid_type", "timeout");
  expect_rejected(with(chat_body(), "max_price", 0), "invalid_value", "max_price");
  expect_rejected(with(chat_body(), "max_price", 1.5), "invalid_type", "max_price");
  expect_rejected(with(chat_body(), "ttft_deadline_ms", 0), "invalid_value", "ttft_deadline_ms");
  expect_rejected(with(chat_body(), "ttft_deadline_ms", 600001), "invalid_value", "ttft_deadline_ms");
  EXPECT_EQ(expect_ok(kChat, with(chat_body(), "max_coefficient", 0)).max_coefficient, 0u);
  EXPECT_EQ(expect_ok(kChat, with(chat_body(), "timeout", 1.5)).timeout_ms, 1500u);
}

TEST(OpenAiRequest, UnsupportedFeaturesAreRefusedByName) {
  expect_rejected(with(chat_body(), "functions", {{{"name", "f"}}}), "unsupported_parameter", "functions");
  expect_rejected(with(chat_body(), "n", 0), "invalid_value", "n");
  expect_rejected(with(chat_body(), "n", "one"), "invalid_type", "n");
  expect_rejected(json{{"model", "m"}, {"prompt", "p"}, {"best_of", 3}}, "unsupported_parameter", "best_of",
                  kCompletions);
  // Harmless spellings of "off" pass.
  auto request = expect_ok(kChat, with(with(with(chat_body(), "tools", json::array()), "logprobs", false), "n", 1));
  request = expect_ok(kChat, with(chat_body(), "tool_choice", "none"));
  EXPECT_FALSE(request.body.contains("tool_choice"));
}

TEST(OpenAiRequest, ToolsAreShapeChecked) {
  json tool{{"type", "function"},
            {"function", {{"name", "get_weather"}, {"parameters", {{"type", "object"}}}, {"strict", true}}}};
  auto ok = expect_ok(kChat, with(with(chat_body(), "tools", {tool}), "tool_choice",
                                  {{"type", "function"}, {"function", {{"name", "get_weather"}}}}));
  EXPECT_EQ(ok.body["tools"][0]["function"]["name"], "get_weather");
  expect_ok(kChat, with(with(chat_body(), "tools", {tool}), "tool_choice", "required"));
  expect_rejected(with(chat_body(), "tool_choice", "required"), "invalid_value", "tool_choice");
  expect_rejected(with(with(chat_body(), "tools", {tool}), "tool_choice",
                       {{"type", "function"}, {"function", {{"name", "other"}}}}),
                  "invalid_value", "tool_choice");
  json bad_name = tool;
  bad_name["function"]["name"] = "has space";
  expect_rejected(with(chat_body(), "tools", {bad_name}), "invalid_value", "tools[0].function.name");
  expect_rejected(with(chat_body(), "tools", {tool, tool}), "invalid_value", "tools[1].function.name");
  json bad_params = tool;
  bad_params["function"]["parameters"] = "object";
  expect_rejected(with(chat_body(), "tools", {bad_params}), "invalid_type", "tools[0].function.parameters");
  expect_rejected(with(chat_body(), "tools", json::array({json{{"type", "retrieval"}}})), "invalid_value",
                  "tools[0].type");
  expect_rejected(with(chat_body(), "parallel_tool_calls", "yes"), "invalid_type", "parallel_tool_calls");
  expect_rejected(json{{"model", "m"}, {"prompt", "p"}, {"tools", {tool}}}, "unsupported_parameter", "tools",
                  kCompletions);
}

TEST(OpenAiRequest, ToolTurnsInTheConversationAreChecked) {
  json call{{"id", "call_1"}, {"type", "function"}, {"function", {{"name", "f"}, {"arguments", "{}"}}}};
  json body = chat_body();
  body["messages"] = {{{"role", "user"}, {"content", "hi"}},
                      {{"role", "assistant"}, {"content", nullptr}, {"tool_calls", {call}}},
                      {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "42"}}};
  expect_ok(kChat, body);
  json no_id = body;
  no_id["messages"][2].erase("tool_call_id");
  expect_rejected(no_id, "missing_required_parameter", "messages[2].tool_call_id");
  json bad_args = body;
  bad_args["messages"][1]["tool_calls"][0]["function"]["arguments"] = json::object();
  expect_rejected(bad_args, "invalid_type", "messages[1].tool_calls[0].function.arguments");
  json no_content = body;
  no_content["messages"][1].erase("tool_calls");
  expect_rejected(no_content, "missing_required_parameter", "messages[1].content");
}

TEST(OpenAiRequest, SeveralChoicesShareOneBudget) {
  auto three = expect_ok(kChat, with(with(chat_body(), "n", 3), "max_tokens", 100));
  EXPECT_EQ(three.choices, 3u);
  EXPECT_EQ(three.max_tokens, 300u);         // what every hop reserves and bills by
  EXPECT_EQ(three.body["max_tokens"], 100);  // what each choice may use
  expect_rejected(with(chat_body(), "n", 17), "invalid_value", "n");
  expect_rejected(with(with(chat_body(), "n", 2), "max_tokens", 20000), "invalid_value", "n");
  // Without max_tokens the default shrinks so that all choices fit the limit.
  auto defaulted = expect_ok(kChat, with(chat_body(), "n", 16));
  EXPECT_LE(defaulted.max_tokens, 32768u);
  EXPECT_EQ(defaulted.body["max_tokens"], 1000);
  json base{{"model", "m"}, {"prompt", "p"}};
  EXPECT_EQ(expect_ok(kCompletions, with(with(base, "n", 2), "best_of", 2)).choices, 2u);
  expect_rejected(with(with(base, "n", 2), "best_of", 3), "unsupported_parameter", "best_of", kCompletions);
}

TEST(OpenAiRequest, LogprobsAreCheckedPerKind) {
  auto chat = expect_ok(kChat, with(with(chat_body(), "logprobs", true), "top_logprobs", 20));
  EXPECT_EQ(chat.body["top_logprobs"], 20);
  expect_rejected(with(chat_body(), "logprobs", 1), "invalid_type", "logprobs");
  expect_rejected(with(with(chat_body(), "logprobs", true), "top_logprobs", 21), "invalid_value", "top_logprobs");
  expect_rejected(with(chat_body(), "top_logprobs", 3), "invalid_value", "top_logprobs");
  json base{{"model", "m"}, {"prompt", "p"}};
  EXPECT_EQ(expect_ok(kCompletions, with(base, "logprobs", 5)).body["logprobs"], 5);
  expect_rejected(with(base, "logprobs", 6), "invalid_value", "logprobs", kCompletions);
  expect_rejected(with(base, "logprobs", true), "invalid_type", "logprobs", kCompletions);
  expect_rejected(with(base, "top_logprobs", 2), "invalid_value", "top_logprobs", kCompletions);
}

TEST(OpenAiRequest, EchoAndSuffixAreRefusedNotIgnored) {
  json base{{"model", "m"}, {"prompt", "p"}};
  expect_rejected(with(base, "echo", true), "unsupported_parameter", "echo", kCompletions);
  expect_rejected(with(base, "suffix", "end"), "unsupported_parameter", "suffix", kCompletions);
  expect_ok(kCompletions, with(with(base, "echo", false), "suffix", ""));
}

TEST(OpenAiRequest, LogitBiasIsShapeChecked) {
  auto request = expect_ok(kChat, with(chat_body(), "logit_bias", {{"0", -100}, {"42", 7.5}, {"1000", 100}}));
  EXPECT_EQ(request.body["logit_bias"]["42"], 7.5);  // forwarded as given
  expect_rejected(with(chat_body(), "logit_bias", json::array({1})), "invalid_type", "logit_bias");
  expect_rejected(with(chat_body(), "logit_bias", {{"a1", 1}}), "invalid_value", "logit_bias");
  expect_rejected(with(chat_body(), "logit_bias", {{"01", 1}}), "invalid_value", "logit_bias");
  expect_rejected(with(chat_body(), "logit_bias", {{"-5", 1}}), "invalid_value", "logit_bias");
  expect_rejected(with(chat_body(), "logit_bias", {{"5", 101}}), "invalid_value", "logit_bias");
  expect_rejected(with(chat_body(), "logit_bias", {{"5", "1"}}), "invalid_value", "logit_bias");
  json many = json::object();
  for (int i = 0; i < 1025; ++i) many[std::to_string(i)] = 1;
  expect_rejected(with(chat_body(), "logit_bias", many), "invalid_value", "logit_bias");
}

TEST(OpenAiRequest, ResponseFormatIsShapeChecked) {
  expect_ok(kChat, with(chat_body(), "response_format", {{"type", "text"}}));
  expect_ok(kChat, with(chat_body(), "response_format", {{"type", "json_object"}}));
  json schema{{"type", "object"}, {"properties", {{"a", {{"type", "string"}}}}}, {"required", {"a"}}};
  auto request = expect_ok(kChat, with(chat_body(), "response_format",
                                       {{"type", "json_schema"},
                                        {"json_schema", {{"name", "answer"}, {"schema", schema}, {"strict", true}}}}));
  EXPECT_EQ(request.body["response_format"]["json_schema"]["schema"], schema);
  expect_rejected(with(chat_body(), "response_format", "json"), "invalid_type", "response_format");
  expect_rejected(with(chat_body(), "response_format", json::object()), "missing_required_parameter",
                  "response_format.type");
  expect_rejected(with(chat_body(), "response_format", {{"type", "xml"}}), "invalid_value", "response_format.type");
  expect_rejected(with(chat_body(), "response_format", {{"type", "json_schema"}}), "missing_required_parameter",
                  "response_format.json_schema");
  expect_rejected(
      with(chat_body(), "response_format", {{"type", "json_schema"}, {"json_schema", {{"schema", schema}}}}),
      "missing_required_parameter", "response_format.json_schema.name");
  expect_rejected(with(chat_body(), "response_format",
                       {{"type", "json_schema"}, {"json_schema", {{"name", "x"}, {"schema", "object"}}}}),
                  "invalid_type", "response_format.json_schema.schema");
}

TEST(OpenAiRequest, AnErrorQuotingACutOffValueHasASendableBody) {
  // The message quotes the first 37 bytes of the value's JSON text; here they end inside an 'é'.
  std::string role = "a";
  for (int i = 0; i < 20; ++i) role += "\xc3\xa9";
  json body = chat_body();
  body["messages"][0]["role"] = role;
  ApiError error = expect_error(kChat, body);
  EXPECT_EQ(error.code, "invalid_value");
  std::string sent;
  ASSERT_NO_THROW(sent = error.body());
  EXPECT_TRUE(json::accept(sent));
}

TEST(OpenAiRequest, ANumberBeyondADoubleIsInvalidJsonNotAnException) {
  // nlohmann throws out_of_range, not parse_error, for it (found by tests/fuzz/openai_request_fuzz).
  for (std::string_view number : {"1e400", "-1e400", "16.88e8888"}) {
    std::string body =
        R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":)" + std::string(number) + "}";
    ApiError error = expect_error(kChat, std::string_view(body));
    EXPECT_EQ(error.status, 400) << number;
    EXPECT_EQ(error.code, "invalid_json") << number;
  }
}

}  // namespace

TEST(OpenAiRequest, SchemasAreForwardedInTheAppsKeyOrder) {
  // The engine generates a schema's properties in order; nlohmann::json would sort them.
  std::string text = R"({"model":"m","prompt":"p","max_completion_tokens":5,"response_format":{"type":"json_schema",)"
                     R"("json_schema":{"name":"s","schema":{"type":"object","properties":{"zeta":{"type":"string"},)"
                     R"("alpha":{"type":"boolean"}},"required":["zeta","alpha"]}}}})";
  auto result = chrysalis::api::validate_openai_request("/v1/completions", text);
  ASSERT_TRUE(std::holds_alternative<chrysalis::api::ValidatedRequest>(result));
  const auto& request = std::get<chrysalis::api::ValidatedRequest>(result);
  std::string forwarded = chrysalis::api::forwarded_body(request);
  EXPECT_LT(forwarded.find("\"zeta\""), forwarded.find("\"alpha\"")) << forwarded;
  // Normalization still applies: max_completion_tokens became max_tokens, streaming is forced.
  auto reparsed = json::parse(forwarded);
  EXPECT_EQ(reparsed["max_tokens"], 5);
  EXPECT_FALSE(reparsed.contains("max_completion_tokens"));
  EXPECT_EQ(reparsed["stream"], true);
  EXPECT_EQ(reparsed, request.body);
  // Without such fields nothing extra is kept.
  EXPECT_FALSE(expect_ok(kCompletions, json{{"model", "m"}, {"prompt", "p"}}).app_order.has_value());
}
