#include <gtest/gtest.h>

#include "api/response_assembler.h"

namespace {

using chrysalis::api::ApiKind;
using chrysalis::api::ResponseAssembler;
using chrysalis::sse::Usage;
using nlohmann::json;

json chunk(json delta, json finish_reason = nullptr) {
  return {{"id", "chatcmpl-abc"},
          {"object", "chat.completion.chunk"},
          {"created", 1700000000},
          {"model", "tiny"},
          {"choices", {{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish_reason)}}}}};
}

TEST(ResponseAssembler, ChatCompletionShape) {
  ResponseAssembler assembler(ApiKind::Chat, "fallback");
  assembler.add(chunk({{"role", "assistant"}, {"content", ""}}));
  assembler.add(chunk({{"reasoning_content", "Let me think. "}}));
  assembler.add(chunk({{"content", "Hello"}}));
  assembler.add(chunk({{"content", ", world"}}));
  assembler.add(chunk(json::object(), "length"));
  json usage_chunk = chunk(json::object());
  usage_chunk["choices"] = json::array();
  assembler.add(usage_chunk);
  EXPECT_EQ(assembler.content(), "Hello, world");

  auto response = assembler.finish(Usage{.prompt = 12, .cached = 4, .completion = 3, .reasoning = 1});
  EXPECT_EQ(response["id"], "chatcmpl-abc");
  EXPECT_EQ(response["object"], "chat.completion");
  EXPECT_EQ(response["created"], 1700000000);
  EXPECT_EQ(response["model"], "tiny");
  ASSERT_EQ(response["choices"].size(), 1u);
  const auto& choice = response["choices"][0];
  EXPECT_EQ(choice["index"], 0);
  EXPECT_EQ(choice["message"]["role"], "assistant");
  EXPECT_EQ(choice["message"]["content"], "Hello, world");
  EXPECT_EQ(choice["message"]["reasoning_content"], "Let me think. ");
  EXPECT_EQ(choice["finish_reason"], "length");
  EXPECT_EQ(response["usage"]["prompt_tokens"], 12);
  EXPECT_EQ(response["usage"]["completion_tokens"], 3);
  EXPECT_EQ(response["usage"]["total_tokens"], 15);
  EXPECT_EQ(response["usage"]["prompt_tokens_details"]["cached_tokens"], 4);
  EXPECT_EQ(response["usage"]["completion_tokens_details"]["reasoning_tokens"], 1);
}

TEST(ResponseAssembler, NoReasoningMeansNoReasoningField) {
  ResponseAssembler assembler(ApiKind::Chat);
  assembler.add(chunk({{"content", "x"}}, "stop"));
  auto response = assembler.finish(Usage{});
  EXPECT_FALSE(response["choices"][0]["message"].contains("reasoning_content"));
  EXPECT_EQ(response["choices"][0]["finish_reason"], "stop");
}

TEST(ResponseAssembler, TextCompletionShape) {
  ResponseAssembler assembler(ApiKind::Completion);
  for (const char* piece : {"Once", " upon", " a time"})
    assembler.add({{"id", "cmpl-1"},
                   {"object", "text_completion"},
                   {"created", 5},
                   {"model", "tiny"},
                   {"choices", {{{"index", 0}, {"text", piece}, {"finish_reason", nullptr}}}}});
  assembler.add({{"id", "cmpl-1"}, {"choices", {{{"index", 0}, {"text", ""}, {"finish_reason", "stop"}}}}});
  auto response = assembler.finish(Usage{.prompt = 3, .completion = 3, .estimated = true});
  EXPECT_EQ(response["object"], "text_completion");
  EXPECT_EQ(response["id"], "cmpl-1");
  EXPECT_EQ(response["choices"][0]["text"], "Once upon a time");
  EXPECT_EQ(response["choices"][0]["finish_reason"], "stop");
  EXPECT_FALSE(response["choices"][0].contains("message"));
  EXPECT_EQ(response["usage"]["total_tokens"], 6);
}

TEST(ResponseAssembler, EmptyStreamStillGivesAWellFormedAnswer) {
  ResponseAssembler assembler(ApiKind::Chat, "chrysalis-test");
  auto response = assembler.finish(Usage{});
  EXPECT_EQ(response["model"], "chrysalis-test");
  EXPECT_EQ(response["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_GT(response["created"].get<int64_t>(), 0);
  EXPECT_EQ(response["choices"][0]["message"]["content"], "");
  EXPECT_EQ(response["choices"][0]["finish_reason"], "stop");
}

}  // namespace

namespace {

json with_logprobs(json c, json logprobs) {
  c["choices"][0]["logprobs"] = std::move(logprobs);
  return c;
}

TEST(ResponseAssembler, ChatLogprobsAreJoinedAcrossChunks) {
  ResponseAssembler assembler(ApiKind::Chat, "m");
  json a{{"token", "He"}, {"logprob", -0.5}, {"bytes", {72, 101}}, {"top_logprobs", json::array()}};
  json b{{"token", "llo"}, {"logprob", -1.25}, {"bytes", {108, 108, 111}}, {"top_logprobs", json::array()}};
  assembler.add(with_logprobs(chunk({{"content", "He"}}), {{"content", {a}}, {"refusal", nullptr}}));
  assembler.add(with_logprobs(chunk({{"content", "llo"}}), {{"content", {b}}, {"refusal", nullptr}}));
  assembler.add(chunk(json::object(), "stop"));
  auto choice = assembler.finish(Usage{})["choices"][0];
  EXPECT_EQ(choice["logprobs"]["content"], json::array({a, b}));
  EXPECT_TRUE(choice["logprobs"]["refusal"].is_null());

  ResponseAssembler without(ApiKind::Chat, "m");
  without.add(chunk({{"content", "x"}}));
  EXPECT_TRUE(without.finish(Usage{})["choices"][0]["logprobs"].is_null());
}

TEST(ResponseAssembler, EveryChoiceAskedForAndNoOther) {
  ResponseAssembler assembler(ApiKind::Chat, "m", 3);
  auto for_choice = [](uint64_t index, const char* text) {
    json c = chunk({{"content", text}});
    c["choices"][0]["index"] = index;
    return c;
  };
  assembler.add(for_choice(2, "two"));
  assembler.add(for_choice(0, "zero"));
  assembler.add(for_choice(7, "not asked for"));
  auto choices = assembler.finish(Usage{})["choices"];
  ASSERT_EQ(choices.size(), 3u);
  EXPECT_EQ(choices[0]["message"]["content"], "zero");
  EXPECT_EQ(choices[1]["message"]["content"], "");
  EXPECT_EQ(choices[2]["message"]["content"], "two");
  EXPECT_EQ(choices[2]["index"], 2);
}

TEST(ResponseAssembler, StreamedToolCallsAreJoinedByIndex) {
  ResponseAssembler assembler(ApiKind::Chat, "m");
  auto call_delta = [](json call) { return chunk({{"tool_calls", json::array({std::move(call)})}}); };
  assembler.add(chunk({{"role", "assistant"}}));
  assembler.add(call_delta(json{{"index", 0}, {"id", "call_a"}, {"type", "function"},
                             {"function", {{"name", "get_weather"}, {"arguments", ""}}}}));
  assembler.add(call_delta(json{{"index", 0}, {"function", {{"arguments", "{\"city\":"}}}}));
  assembler.add(call_delta(json{{"index", 1}, {"id", "call_b"}, {"function", {{"name", "noop"}, {"arguments", "{}"}}}}));
  assembler.add(call_delta(json{{"index", 0}, {"function", {{"arguments", "\"Paris\"}"}}}}));
  assembler.add(call_delta(json{{"index", 100000}, {"id", "beyond any request"}}));
  assembler.add(chunk(json::object(), "tool_calls"));
  auto choice = assembler.finish(Usage{})["choices"][0];
  EXPECT_EQ(choice["finish_reason"], "tool_calls");
  EXPECT_TRUE(choice["message"]["content"].is_null());
  const auto& calls = choice["message"]["tool_calls"];
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0]["id"], "call_a");
  EXPECT_EQ(calls[0]["function"]["name"], "get_weather");
  EXPECT_EQ(calls[0]["function"]["arguments"], "{\"city\":\"Paris\"}");
  EXPECT_EQ(calls[1]["function"]["name"], "noop");
  EXPECT_EQ(calls[1]["type"], "function");
}

TEST(ResponseAssembler, CompletionLogprobsKeepTheirFourLists) {
  ResponseAssembler assembler(ApiKind::Completion, "m");
  auto piece = [](const char* text, double lp, int offset) {
    json c{{"id", "cmpl-1"}, {"choices", {{{"index", 0}, {"text", text}, {"finish_reason", nullptr}}}}};
    c["choices"][0]["logprobs"] = {{"tokens", {text}},
                                   {"token_logprobs", {lp}},
                                   {"top_logprobs", {{{text, lp}}}},
                                   {"text_offset", {offset}}};
    return c;
  };
  assembler.add(piece(" a", -0.1, 0));
  assembler.add(piece("b", -0.2, 2));
  // A hostile list of the wrong type is skipped, not merged.
  assembler.add(with_logprobs(piece("c", -0.3, 3), {{"tokens", "c"}}));
  auto logprobs = assembler.finish(Usage{})["choices"][0]["logprobs"];
  EXPECT_EQ(logprobs["tokens"], json::array({" a", "b"}));
  EXPECT_EQ(logprobs["token_logprobs"], json::array({-0.1, -0.2}));
  EXPECT_EQ(logprobs["text_offset"], json::array({0, 2}));
  EXPECT_EQ(logprobs["top_logprobs"][1], json({{"b", -0.2}}));
}

}  // namespace
