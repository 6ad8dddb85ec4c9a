#include "client/answer_resume.h"

#include <gtest/gtest.h>

namespace chrysalis::client {
namespace {

using nlohmann::json;

api::ValidatedRequest chat(uint32_t max_tokens = 40) {
  auto v = api::validate_openai_request(
      "/v1/chat/completions",
      json{{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"max_tokens", max_tokens}}.dump(), {});
  return std::get<api::ValidatedRequest>(v);
}

std::string chunk(const std::string& id, const std::string& content, bool role = false) {
  json delta = {{"content", content}};
  if (role) delta["role"] = "assistant";
  return json{{"id", id}, {"created", 11}, {"object", "chat.completion.chunk"},
              {"choices", {{{"index", 0}, {"delta", delta}, {"finish_reason", nullptr}}}}}
      .dump();
}

TEST(AnswerResume, AChatContinuesWithTheDeliveredTextAsAnAssistantPrefill) {
  AnswerResume resume;
  auto vr = chat();
  resume.delivered({chunk("a", "Hel", true), chunk("a", "lo")});
  resume.delivered({chunk("a", " there")});
  auto next = resume.continuation(vr);
  ASSERT_TRUE(std::holds_alternative<api::ValidatedRequest>(next)) << std::get<std::string>(next);
  auto& body = std::get<api::ValidatedRequest>(next).body;
  EXPECT_EQ(body["messages"].size(), 2u);
  EXPECT_EQ(body["messages"][1], (json{{"role", "assistant"}, {"content", "Hello there"}}));
  EXPECT_EQ(body["continue_final_message"], true);
  EXPECT_EQ(body["add_generation_prompt"], false);
  EXPECT_EQ(body["max_tokens"], 37);
  EXPECT_EQ(std::get<api::ValidatedRequest>(next).max_tokens, 37u);
  EXPECT_EQ(resume.resumed_tokens(), 3u);
  EXPECT_EQ(resume.resumes(), 1u);

  // The continuation's events carry the first part's id and no second role.
  auto shown = resume.stitch({chunk("b", "!", true)});
  auto c = json::parse(shown.at(0));
  EXPECT_EQ(c["id"], "a");
  EXPECT_EQ(c["created"], 11);
  EXPECT_FALSE(c["choices"][0]["delta"].contains("role"));
  EXPECT_EQ(c["choices"][0]["delta"]["content"], "!");

  // A second failure continues from all the text so far, still from the app's own request.
  resume.delivered(shown);
  auto third = resume.continuation(vr);
  ASSERT_TRUE(std::holds_alternative<api::ValidatedRequest>(third));
  EXPECT_EQ(std::get<api::ValidatedRequest>(third).body["messages"][1]["content"], "Hello there!");
  EXPECT_EQ(std::get<api::ValidatedRequest>(third).max_tokens, 36u);
}

TEST(AnswerResume, ACompletionContinuesWithTheTextAppendedToThePrompt) {
  auto v = api::validate_openai_request("/v1/completions",
                                        json{{"model", "m"}, {"prompt", "Once"}, {"max_tokens", 8}}.dump(), {});
  auto vr = std::get<api::ValidatedRequest>(v);
  AnswerResume resume;
  resume.delivered({json{{"id", "c"}, {"choices", {{{"index", 0}, {"text", " upon"}, {"finish_reason", nullptr}}}}}.dump()});
  auto next = resume.continuation(vr);
  ASSERT_TRUE(std::holds_alternative<api::ValidatedRequest>(next));
  EXPECT_EQ(std::get<api::ValidatedRequest>(next).body["prompt"], "Once upon");
  EXPECT_EQ(std::get<api::ValidatedRequest>(next).body["prefill_bytes"], 5);
  EXPECT_EQ(std::get<api::ValidatedRequest>(next).max_tokens, 7u);
}

TEST(AnswerResume, WhatCannotBeContinuedSaysWhy) {
  auto with = [](json extra) {
    json body = {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
    body.update(extra);
    return std::get<api::ValidatedRequest>(api::validate_openai_request("/v1/chat/completions", body.dump(), {}));
  };
  EXPECT_EQ(AnswerResume::not_resumable(with(json::object())), "");
  EXPECT_EQ(AnswerResume::not_resumable(with({{"n", 2}})), "n > 1");
  EXPECT_EQ(AnswerResume::not_resumable(with({{"logprobs", true}})), "the request asks for logprobs");
  EXPECT_EQ(AnswerResume::not_resumable(with({{"response_format", {{"type", "json_object"}}}})),
            "the request constrains the answer's format");

  AnswerResume nothing;
  auto none = nothing.continuation(chat());
  ASSERT_TRUE(std::holds_alternative<std::string>(none));
  EXPECT_EQ(std::get<std::string>(none), "no text of the answer had arrived");

  AnswerResume full;
  full.delivered({chunk("a", "x"), chunk("a", "y")});
  auto at_limit = full.continuation(chat(2));
  ASSERT_TRUE(std::holds_alternative<std::string>(at_limit));
  EXPECT_EQ(std::get<std::string>(at_limit), "the answer had reached max_tokens");
}

}  // namespace
}  // namespace chrysalis::client
