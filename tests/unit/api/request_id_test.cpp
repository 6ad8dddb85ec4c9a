#include <gtest/gtest.h>

#include "api/request_id.h"

namespace {

using chrysalis::api::ApiError;
using chrysalis::api::RequestIds;
using chrysalis::api::request_ids;

TEST(RequestIds, AnAppsIdIsFoldedIntoAUniqueNetworkId) {
  auto first = std::get<RequestIds>(request_ids({{"x-request-id", "order-42:step.1"}}));
  auto second = std::get<RequestIds>(request_ids({{"x-request-id", "order-42:step.1"}}));
  EXPECT_EQ(first.app, "order-42:step.1");
  EXPECT_EQ(first.network.rfind("order-42:step.1~", 0), 0u) << first.network;
  EXPECT_NE(first.network, second.network);  // an app reusing its id still gets two requests
}

TEST(RequestIds, WithoutOneTheNetworkMakesItsOwn) {
  auto ids = std::get<RequestIds>(request_ids({}));
  EXPECT_TRUE(ids.app.empty());
  EXPECT_EQ(ids.network.size(), 24u);
}

TEST(RequestIds, AMalformedIdIsA400NamingTheHeader) {
  for (std::string bad : {std::string(""), std::string(65, 'a'), std::string("has space"), std::string("new\nline"),
                          std::string("quote\"")}) {
    auto result = request_ids({{"x-request-id", bad}});
    ASSERT_TRUE(std::holds_alternative<ApiError>(result)) << bad;
    EXPECT_EQ(std::get<ApiError>(result).status, 400);
    EXPECT_EQ(std::get<ApiError>(result).param, "X-Request-Id");
  }
}

}  // namespace
