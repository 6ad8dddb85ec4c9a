#include <gtest/gtest.h>

#include "sse/usage_meter.h"

namespace {

using chrysalis::sse::estimate_prompt_tokens;
using chrysalis::sse::Usage;
using chrysalis::sse::UsageMeter;
using nlohmann::json;

json chat_chunk(const std::string& content, const std::string& reasoning = {}) {
  json delta = json::object();
  if (!content.empty()) delta["content"] = content;
  if (!reasoning.empty()) delta["reasoning_content"] = reasoning;
  return {{"object", "chat.completion.chunk"}, {"choices", {{{"index", 0}, {"delta", delta}}}}};
}

TEST(UsageMeter, WithoutEngineUsageCountsChunksAndEstimatesPrompt) {
  UsageMeter meter;
  meter.observe({{"choices", {{{"index", 0}, {"delta", {{"role", "assistant"}}}}}}});  // role only: no token
  meter.observe(chat_chunk("Hel"));
  meter.observe(chat_chunk("lo"));
  meter.observe(chat_chunk("", "thinking"));
  meter.observe(chat_chunk(""));  // empty content: no token
  meter.observe({{"choices", {{{"index", 0}, {"delta", json::object()}, {"finish_reason", "stop"}}}}});
  EXPECT_EQ(meter.counted_completion_tokens(), 3u);
  EXPECT_FALSE(meter.engine_reported());
  Usage usage = meter.result(42);
  EXPECT_EQ(usage.prompt, 42u);
  EXPECT_EQ(usage.completion, 3u);
  EXPECT_EQ(usage.reasoning, 1u);
  EXPECT_EQ(usage.cached, 0u);
  EXPECT_TRUE(usage.estimated);
}

TEST(UsageMeter, TextCompletionChunksCount) {
  UsageMeter meter;
  meter.observe({{"object", "text_completion"}, {"choices", {{{"index", 0}, {"text", "a"}}}}});
  meter.observe({{"object", "text_completion"}, {"choices", {{{"index", 0}, {"text", ""}}}}});
  meter.observe({{"object", "text_completion"}, {"choices", {{{"index", 0}, {"text", "b"}}}}});
  EXPECT_EQ(meter.counted_completion_tokens(), 2u);
}

TEST(UsageMeter, ToolCallDeltasAreGeneratedTokens) {
  UsageMeter meter;
  auto calls = [](json tool_calls) {
    return json{{"choices", {{{"index", 0}, {"delta", {{"tool_calls", std::move(tool_calls)}}}}}}};
  };
  meter.observe(calls(json::array({json{{"index", 0}, {"id", "c"}, {"function", {{"name", "f"}, {"arguments", ""}}}}})));
  meter.observe(calls(json::array({json{{"index", 0}, {"function", {{"arguments", "{}"}}}}})));
  meter.observe(calls(json::array()));  // nothing in it: no token
  EXPECT_EQ(meter.counted_completion_tokens(), 2u);
}

TEST(UsageMeter, EngineUsageWinsWhenPresent) {
  UsageMeter meter;
  meter.observe(chat_chunk("a"));
  meter.observe(chat_chunk("b"));
  meter.observe({{"choices", json::array()},
                 {"usage",
                  {{"prompt_tokens", 34},
                   {"completion_tokens", 100},
                   {"total_tokens", 134},
                   {"prompt_tokens_details", {{"cached_tokens", 11}}},
                   {"completion_tokens_details", {{"reasoning_tokens", 10}}}}}});
  EXPECT_TRUE(meter.engine_reported());
  Usage usage = meter.result(999);
  EXPECT_EQ(usage, (Usage{.prompt = 34, .cached = 11, .completion = 100, .reasoning = 10}));
}

TEST(UsageMeter, FlatReasoningTokensFieldIsRead) {
  UsageMeter meter;
  meter.observe({{"usage", {{"prompt_tokens", 5}, {"completion_tokens", 8}, {"reasoning_tokens", 3}}}});
  EXPECT_EQ(meter.result(0), (Usage{.prompt = 5, .completion = 8, .reasoning = 3}));
}

TEST(UsageMeter, NeverBillsLessThanTheChunksSeen) {
  UsageMeter meter;
  for (int i = 0; i < 5; ++i) meter.observe(chat_chunk("x"));
  meter.observe({{"usage", {{"prompt_tokens", 7}, {"completion_tokens", 2}}}});
  Usage usage = meter.result(0);
  EXPECT_EQ(usage.prompt, 7u);
  EXPECT_EQ(usage.completion, 5u);
  EXPECT_TRUE(usage.estimated);
}

TEST(UsageMeter, IgnoresNegativeFractionalAndNonNumericCounts) {
  UsageMeter meter;
  meter.observe({{"usage",
                  {{"prompt_tokens", -5},
                   {"completion_tokens", 2.5},
                   {"prompt_tokens_details", {{"cached_tokens", "7"}}},
                   {"reasoning_tokens", nullptr}}}});
  EXPECT_FALSE(meter.engine_reported());
  EXPECT_EQ(meter.result(9), (Usage{.prompt = 9, .estimated = true}));
}

TEST(UsageMeter, NullUsageInEveryChunkIsHarmlessAndRepeatedUsageKeepsTheMaximum) {
  UsageMeter meter;
  json chunk = chat_chunk("a");
  chunk["usage"] = nullptr;
  meter.observe(chunk);
  meter.observe({{"usage", {{"prompt_tokens", 10}, {"completion_tokens", 1}}}});
  meter.observe({{"usage", {{"prompt_tokens", 10}, {"completion_tokens", 4}}}});
  meter.observe({{"usage", {{"prompt_tokens", 10}, {"completion_tokens", 3}}}});
  EXPECT_EQ(meter.result(0), (Usage{.prompt = 10, .completion = 4}));
}

TEST(UsageMeter, PartsStayWithinTheirWholes) {
  UsageMeter meter;
  meter.observe({{"usage",
                  {{"prompt_tokens", 3},
                   {"completion_tokens", 2},
                   {"prompt_tokens_details", {{"cached_tokens", 50}}},
                   {"completion_tokens_details", {{"reasoning_tokens", 9}}}}}});
  Usage usage = meter.result(0);
  EXPECT_EQ(usage.cached, 3u);
  EXPECT_EQ(usage.reasoning, 2u);
}

TEST(UsageMeter, OpenAiUsageJson) {
  auto j = chrysalis::sse::to_openai_usage(Usage{.prompt = 34, .cached = 11, .completion = 100, .reasoning = 10});
  EXPECT_EQ(j["prompt_tokens"], 34);
  EXPECT_EQ(j["completion_tokens"], 100);
  EXPECT_EQ(j["total_tokens"], 134);
  EXPECT_EQ(j["prompt_tokens_details"]["cached_tokens"], 11);
  EXPECT_EQ(j["completion_tokens_details"]["reasoning_tokens"], 10);
}

TEST(UsageMeter, PromptEstimate) {
  // 40 bytes of content in 2 messages: 10 tokens + 2*4 framing + 3 priming.
  json chat{{"messages",
             {{{"role", "system"}, {"content", std::string(16, 'a')}},
              {{"role", "user"}, {"content", {{{"type", "text"}, {"text", std::string(24, 'b')}}}}}}}};
  EXPECT_EQ(estimate_prompt_tokens(chat), 10u + 8u + 3u);
  // UTF-8 bytes, not characters: "世界" is 6 bytes -> 2 tokens.
  EXPECT_EQ(estimate_prompt_tokens(json{{"prompt", "世界"}}), 2u);
  EXPECT_EQ(estimate_prompt_tokens(json{{"prompt", ""}}), 1u);
  EXPECT_EQ(estimate_prompt_tokens(json{{"prompt", {"abcd", "efgh"}}}), 2u);
  EXPECT_EQ(estimate_prompt_tokens(json::array()), 1u);
}

}  // namespace
