#include "proxy/selection_timing.h"

#include <gtest/gtest.h>

#include "proxy/worker_table.h"

namespace chrysalis::proxy {
namespace {

using std::chrono::microseconds;
using std::chrono::nanoseconds;

TEST(SelectionTiming, EmptyReportsZeros) {
  SelectionTiming t;
  EXPECT_EQ(t.count(), 0u);
  EXPECT_EQ(t.percentile_us(50), 0);
  auto j = t.json();
  EXPECT_EQ(j["count"], 0);
  EXPECT_EQ(j["p99_us"], 0.0);
  EXPECT_TRUE(j["buckets"].empty());
}

TEST(SelectionTiming, PercentilesAreBucketBoundsWithinTenPercent) {
  SelectionTiming t;
  // 98 fast selections of 10 µs, two slow ones of 500 µs: p50 is 10 µs, p99 the slow ones.
  for (int i = 0; i < 98; ++i) t.add(microseconds(10));
  t.add(microseconds(500));
  t.add(microseconds(500));
  EXPECT_EQ(t.count(), 100u);
  EXPECT_GT(t.percentile_us(50), 10.0);  // an upper bound: never below the value
  EXPECT_LT(t.percentile_us(50), 11.0);
  EXPECT_DOUBLE_EQ(t.percentile_us(98), t.percentile_us(50));
  EXPECT_GT(t.percentile_us(99), 500.0);
  EXPECT_LT(t.percentile_us(99), 550.0);
  auto j = t.json();
  EXPECT_NEAR(j["mean_us"].get<double>(), (98 * 10 + 2 * 500) / 100.0, 1e-9);
  EXPECT_DOUBLE_EQ(j["max_us"].get<double>(), 500.0);
  EXPECT_EQ(j["buckets"].size(), 2u);
  uint64_t total = 0;
  for (auto& [bound, n] : j["buckets"].items()) total += n.get<uint64_t>();
  EXPECT_EQ(total, 100u);
}

TEST(SelectionTiming, EveryValueFallsBelowItsBucketBound) {
  SelectionTiming t;
  for (double us : {0.0, 0.05, 0.125, 0.2, 1.0, 3.3, 99.9, 100.0, 1e4, 1e7}) {
    SelectionTiming one;
    one.add(nanoseconds(static_cast<int64_t>(us * 1000)));
    double bound = one.percentile_us(100);
    EXPECT_GE(bound, us) << us;
    EXPECT_LE(bound, std::max(us * 1.1, 0.125)) << us;
  }
  t.add(std::chrono::hours(2));  // beyond the last bucket: counted in it
  EXPECT_EQ(t.count(), 1u);
  EXPECT_DOUBLE_EQ(t.percentile_us(50), SelectionTiming::upper_us(SelectionTiming::kBuckets - 1));
}

TEST(SelectionTiming, WorkerTableTimesEveryChoice) {
  RoutingState routing(RoutingConfig{}, "");
  WorkerTable table(
      routing, false, [] { return std::string(); }, nullptr);
  RequestFacts facts;
  facts.model = "m";
  proto::InferenceRequest request;
  request.set_max_tokens(16);
  request.set_max_coefficient(4000);
  WorkerPick none = table.choose(facts, request, {});
  EXPECT_FALSE(none.code.empty()) << "no worker is connected";
  table.choose(facts, request, {});
  EXPECT_EQ(table.selection_timing().count(), 2u);
}

}  // namespace
}  // namespace chrysalis::proxy
