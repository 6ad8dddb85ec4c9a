#include <gtest/gtest.h>

#include "api/deterministic_request.h"
#include "proxy/routing_spot_check.h"

using namespace chrysalis::proxy;

TEST(RoutingSpotCheck, OnlyDeterministicRequestsQualify) {
  EXPECT_TRUE(chrysalis::api::is_deterministic_request(nlohmann::json::parse(R"({"temperature":0})")));
  EXPECT_TRUE(chrysalis::api::is_deterministic_request(nlohmann::json::parse(R"({"temperature":0.7,"seed":42})")));
  EXPECT_FALSE(chrysalis::api::is_deterministic_request(nlohmann::json::parse(R"({"temperature":0.7})")));
  EXPECT_FALSE(chrysalis::api::is_deterministic_request(nlohmann::json::parse(R"({})")));
  EXPECT_FALSE(chrysalis::api::is_deterministic_request(nlohmann::json::parse(R"([1])")));
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
