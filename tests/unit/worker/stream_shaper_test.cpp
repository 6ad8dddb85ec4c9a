#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "worker/inference_job.h"
#include "worker/stream_shaper.h"

using chrysalis::sse::SseEvent;
using chrysalis::worker::StreamShaper;

namespace {
SseEvent content(const std::string& text) {
  nlohmann::json chunk = {{"id", "c1"},
                          {"object", "chat.completion.chunk"},
                          {"choices", {{{"index", 0}, {"delta", {{"content", text}}}, {"finish_reason", nullptr}}}}};
  return {chunk.dump(), false};
}
SseEvent finish(const std::string& reason) {
  nlohmann::json chunk = {
      {"id", "c1"}, {"choices", {{{"index", 0}, {"delta", nlohmann::json::object()}, {"finish_reason", reason}}}}};
  return {chunk.dump(), false};
}
SseEvent usage(int prompt, int completion) {
  nlohmann::json chunk = {{"id", "c1"},
                          {"choices", nlohmann::json::array()},
                          {"usage", {{"prompt_tokens", prompt}, {"completion_tokens", completion}}}};
  return {chunk.dump(), false};
}
}  // namespace

TEST(StreamShaper, ForwardsContentAndTakesEngineUsage) {
  StreamShaper shaper(10);
  std::vector<std::string> out;
  EXPECT_TRUE(shaper.on_event(content("a"), out));
  EXPECT_TRUE(shaper.on_event(content("b"), out));
  EXPECT_TRUE(shaper.on_event(finish("stop"), out));
  EXPECT_TRUE(shaper.on_event(usage(7, 2), out));
  EXPECT_FALSE(shaper.on_event({"[DONE]", true}, out));
  EXPECT_EQ(out.size(), 3u);  // the usage-only chunk is not forwarded
  for (auto& e : out) EXPECT_FALSE(nlohmann::json::parse(e).contains("usage"));
  auto u = shaper.usage(99);
  EXPECT_EQ(u.prompt, 7u);
  EXPECT_EQ(u.completion, 2u);
  EXPECT_FALSE(u.estimated);
  EXPECT_EQ(shaper.finish_reason(), "stop");
  EXPECT_FALSE(shaper.truncated());
}

TEST(StreamShaper, CutsAnEngineThatIgnoresMaxTokens) {
  StreamShaper shaper(3);
  std::vector<std::string> out;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(shaper.on_event(content("x"), out));
  EXPECT_FALSE(shaper.on_event(content("too many"), out));
  EXPECT_TRUE(shaper.truncated());
  ASSERT_EQ(out.size(), 4u);
  auto last = nlohmann::json::parse(out.back());
  EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
  EXPECT_TRUE(last["choices"][0]["delta"].empty());
  auto u = shaper.usage(5);
  EXPECT_EQ(u.completion, 3u);
  EXPECT_EQ(u.prompt, 5u);
  EXPECT_TRUE(u.estimated);
}

TEST(StreamShaper, CountsTokensItselfWhenTheEngineReportsNone) {
  StreamShaper shaper(100);
  std::vector<std::string> out;
  for (int i = 0; i < 4; ++i) shaper.on_event(content("y"), out);
  shaper.on_event({"[DONE]", true}, out);
  auto u = shaper.usage(12);
  EXPECT_EQ(u.completion, 4u);
  EXPECT_EQ(u.prompt, 12u);
  EXPECT_TRUE(u.estimated);
}

TEST(StreamShaper, NeverBillsMoreThanMaxTokens) {
  StreamShaper shaper(2);
  std::vector<std::string> out;
  shaper.on_event(content("ab"), out);
  shaper.on_event(usage(3, 50), out);
  EXPECT_EQ(shaper.usage(0).completion, 2u);
}

TEST(StreamShaper, ReportsEngineErrorsInsideTheStream) {
  StreamShaper shaper(10);
  std::vector<std::string> out;
  EXPECT_FALSE(shaper.on_event({R"({"error":{"message":"out of memory"}})", false}, out));
  EXPECT_EQ(shaper.engine_error(), "out of memory");
}

TEST(StreamShaper, SkipsMalformedEvents) {
  StreamShaper shaper(10);
  std::vector<std::string> out;
  EXPECT_TRUE(shaper.on_event({"{not json", false}, out));
  EXPECT_EQ(shaper.malformed_events(), 1u);
  EXPECT_TRUE(out.empty());
}

TEST(PrepareEngineBody, ClampsMaxTokensAndForcesStreamingUsage) {
  auto body = nlohmann::json::parse(chrysalis::worker::prepare_engine_body(
      R"({"model":"m","max_tokens":500,"max_completion_tokens":400,"stream":false})", 100, "engine-name"));
  EXPECT_EQ(body["max_tokens"], 100);
  EXPECT_FALSE(body.contains("max_completion_tokens"));
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(body["model"], "engine-name");
  auto smaller =
      nlohmann::json::parse(chrysalis::worker::prepare_engine_body(R"({"model":"m","max_tokens":5})", 100, ""));
  EXPECT_EQ(smaller["max_tokens"], 5);
}

TEST(PrepareEngineBody, SeveralChoicesShareTheBudget) {
  using chrysalis::worker::prepare_engine_body;
  // 3 choices of 50 fit a budget of 150; asking 3 x 80 against 150 gets 50 each.
  EXPECT_EQ(nlohmann::json::parse(prepare_engine_body(R"({"n":3,"max_tokens":50})", 150, ""))["max_tokens"], 50);
  EXPECT_EQ(nlohmann::json::parse(prepare_engine_body(R"({"n":3,"max_tokens":80})", 150, ""))["max_tokens"], 50);
  EXPECT_EQ(nlohmann::json::parse(prepare_engine_body(R"({"n":4})", 10, ""))["max_tokens"], 2);
  // An n beyond the budget still leaves every choice one token; the stream shaper ends the rest.
  EXPECT_EQ(nlohmann::json::parse(prepare_engine_body(R"({"n":9})", 3, ""))["max_tokens"], 1);
}

TEST(PrepareEngineBody, KeepsTheBodysKeyOrder) {
  std::string body = chrysalis::worker::prepare_engine_body(
      R"({"model":"m","response_format":{"schema":{"properties":{"zeta":1,"alpha":2}}}})", 10, "");
  EXPECT_LT(body.find("\"zeta\""), body.find("\"alpha\"")) << body;
}

TEST(StreamShaper, MisshapenToolCallsEndTheAnswerWithAnError) {
  auto with_calls = [](nlohmann::json calls) {
    nlohmann::json chunk = {{"id", "c1"}, {"choices", {{{"index", 0}, {"delta", {{"tool_calls", std::move(calls)}}}}}}};
    return SseEvent{chunk.dump(), false};
  };
  nlohmann::json good = nlohmann::json::array(
      {nlohmann::json{{"index", 0}, {"id", "call_1"}, {"type", "function"}, {"function", {{"name", "f"}, {"arguments", ""}}}}});
  StreamShaper shaper(10);
  std::vector<std::string> out;
  EXPECT_TRUE(shaper.on_event(with_calls(good), out));
  EXPECT_EQ(shaper.content_chunks(), 1u);  // a tool call's tokens count like text
  for (const auto& bad : {nlohmann::json("f()"), nlohmann::json::array({nlohmann::json{{"index", -1}}}),
                          nlohmann::json::array({nlohmann::json{{"index", 0}, {"function", {{"arguments", 5}}}}}),
                          nlohmann::json::array({nlohmann::json{{"index", 0}, {"type", "retrieval"}}})}) {
    StreamShaper s(10);
    std::vector<std::string> forwarded;
    EXPECT_FALSE(s.on_event(with_calls(bad), forwarded)) << bad.dump();
    EXPECT_TRUE(forwarded.empty());
    EXPECT_NE(s.engine_error().find("malformed tool call"), std::string::npos) << s.engine_error();
  }
}
