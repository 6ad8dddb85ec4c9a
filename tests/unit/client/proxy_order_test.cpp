// Which proxy the client tries first: the nearest by round-trip time, measured ones before
// unmeasured ones, the configured order breaking ties.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/proxy_pool.h"

namespace chrysalis::client {
namespace {

struct Proxy {
  std::string name;
  int64_t rtt_us;
};

std::vector<std::string> order(std::vector<Proxy> proxies) {
  sort_nearest_first(proxies, [](const Proxy& p) { return p.rtt_us; });
  std::vector<std::string> names;
  for (auto& p : proxies) names.push_back(p.name);
  return names;
}

TEST(ClientProxyOrder, NearestFirst) {
  EXPECT_EQ(order({{"a", 900}, {"b", 100}, {"c", 500}}), (std::vector<std::string>{"b", "c", "a"}));
}

TEST(ClientProxyOrder, UnmeasuredAfterMeasured) {
  EXPECT_EQ(order({{"new", -1}, {"slow", 5'000'000}, {"fast", 10}}), (std::vector<std::string>{"fast", "slow", "new"}));
}

TEST(ClientProxyOrder, ConfiguredOrderBreaksTies) {
  EXPECT_EQ(order({{"a", 50}, {"b", 50}, {"c", 10}, {"d", 50}}), (std::vector<std::string>{"c", "a", "b", "d"}));
  EXPECT_EQ(order({{"x", -1}, {"y", -1}, {"z", -1}}), (std::vector<std::string>{"x", "y", "z"}));
}

TEST(ClientProxyOrder, ZeroRttIsMeasured) {
  EXPECT_EQ(order({{"unknown", -1}, {"local", 0}}), (std::vector<std::string>{"local", "unknown"}));
}

TEST(ClientProxyOrder, EmptyAndSingle) {
  EXPECT_TRUE(order({}).empty());
  EXPECT_EQ(order({{"only", -1}}), (std::vector<std::string>{"only"}));
}

}  // namespace
}  // namespace chrysalis::client
