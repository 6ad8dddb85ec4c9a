// Every generation request becomes checkable: a seed is assigned where the app set none.
#include <gtest/gtest.h>

#include "api/deterministic_request.h"

using chrysalis::api::assign_seed;
using chrysalis::api::is_deterministic_request;
using nlohmann::json;

TEST(DeterministicRequest, ASampledRequestGetsASeedAndBecomesCheckable) {
  json body = {{"model", "m"}, {"temperature", 0.8}, {"messages", json::array()}};
  EXPECT_FALSE(is_deterministic_request(body));
  EXPECT_TRUE(assign_seed(body, 12345));
  EXPECT_EQ(body["seed"], 12345);
  EXPECT_TRUE(is_deterministic_request(body));
}

TEST(DeterministicRequest, TheAppsOwnSeedIsKept) {
  json body = {{"model", "m"}, {"seed", 7}};
  EXPECT_FALSE(assign_seed(body, 12345));
  EXPECT_EQ(body["seed"], 7);
  // A seed that is no integer is replaced (validation refuses it earlier; this only never keeps it).
  json odd = {{"model", "m"}, {"seed", "7"}};
  EXPECT_TRUE(assign_seed(odd, 9));
  EXPECT_EQ(odd["seed"], 9);
  json not_object = json::array();
  EXPECT_FALSE(assign_seed(not_object, 9));
}
