#include <gtest/gtest.h>

#include "proxy/routing_spot_check.h"

using namespace chrysalis::proxy;

TEST(RoutingSpotCheck, OnlyDeterministicRequestsQualify) {
  EXPECT_TRUE(is_deterministic_request(nlohmann::json::parse(R"({"temperature":0})")));
  EXPECT_TRUE(is_deterministic_request(nlohmann::json::parse(R"({"temperature":0.7,"seed":42})")));
  EXPECT_FALSE(is_deterministic_request(nlohmann::json::parse(R"({"temperature":0.7})")));
  EXPECT_FALSE(is_deterministic_request(nlohmann::json::parse(R"({})")));
  EXPECT_FALSE(is_deterministic_request(nlohmann::json::parse(R"([1])")));
}

TEST(RoutingSpotCheck, DigestGathersChatAndCompletionText) {
  OutputDigest chat;
  chat.add_event(R"({"id":"a","choices":[{"delta":{"role":"assistant","content":"he"}}]})");
  chat.add_event(R"({"id":"b","choices":[{"delta":{"content":"llo"}}]})");
  chat.add_event(R"({"choices":[],"usage":{"completion_tokens":2}})");
  chat.add_event("not json");
  EXPECT_EQ(chat.text(), "hello");
  OutputDigest completion;
  completion.add_event(R"({"choices":[{"text":"hel"}]})");
  completion.add_event(R"({"choices":[{"text":"lo"}]})");
  EXPECT_EQ(completion.text(), chat.text());
}

TEST(RoutingSpotCheck, TwoDifferentAnswersNeedAThirdOpinion) {
  auto v = judge_spot_check({"a", "b"});
  EXPECT_EQ(v, (std::vector<SpotVerdict>{SpotVerdict::Undecided, SpotVerdict::Undecided}));
  EXPECT_EQ(judge_spot_check({"a", "a"}), (std::vector<SpotVerdict>{SpotVerdict::Agree, SpotVerdict::Agree}));
}

TEST(RoutingSpotCheck, TheMinorityOfThreeDisagrees) {
  EXPECT_EQ(judge_spot_check({"wrong", "right", "right"}),
            (std::vector<SpotVerdict>{SpotVerdict::Disagree, SpotVerdict::Agree, SpotVerdict::Agree}));
  EXPECT_EQ(judge_spot_check({"a", "b", "c"}), (std::vector<SpotVerdict>(3, SpotVerdict::Undecided)));
}
