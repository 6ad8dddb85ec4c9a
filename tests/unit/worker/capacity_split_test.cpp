// How a worker shares its slots among its proxies: even at first, then following the load.
#include <gtest/gtest.h>

#include "worker/capacity_split.h"

namespace chrysalis::worker {
namespace {

TEST(CapacitySplit, OneProxyGetsEverySlot) {
  CapacitySplit split(8);
  split.add(1);
  split.rebalance({});
  EXPECT_EQ(split.share(1), 8u);
}

TEST(CapacitySplit, WithoutDemandTheSharesAreEvenRoundedUp) {
  CapacitySplit split(8);
  split.add(1);
  split.add(2);
  split.add(3);
  split.rebalance({});
  EXPECT_EQ(split.share(1), 3u);  // ceil(8 / 3)
  EXPECT_EQ(split.share(2), 3u);
  EXPECT_EQ(split.share(3), 3u);
  EXPECT_EQ(split.share(99), 0u);  // an unknown connection may run nothing
}

TEST(CapacitySplit, SlotsFollowTheLoadAndComeBackWhenItMoves) {
  CapacitySplit split(8);
  split.add(1);
  split.add(2);
  for (int i = 0; i < 6; ++i) split.started(1);
  auto changed = split.rebalance({{1, 4}});
  EXPECT_EQ(split.share(1), 8u);  // all the demand is proxy 1's
  EXPECT_EQ(split.share(2), 1u);  // the idle proxy keeps one slot to be able to start
  EXPECT_EQ(changed, std::vector<uint64_t>{2});  // proxy 1 had every slot since it came first
  // The load moves to proxy 2: within a few rebalances it holds most of the slots.
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 6; ++i) split.started(2);
    split.rebalance({{2, 4}});
  }
  EXPECT_GE(split.share(2), 7u);
  EXPECT_LE(split.share(1), 2u);
}

TEST(CapacitySplit, AShareNeverDropsBelowWhatTheProxyRunsNow) {
  CapacitySplit split(4);
  split.add(1);
  split.add(2);
  for (int i = 0; i < 20; ++i) split.started(2);
  split.rebalance({{1, 3}, {2, 1}});
  EXPECT_GE(split.share(1), 3u);
  EXPECT_LE(split.share(2), 4u);
}

TEST(CapacitySplit, AProxyThatLeavesFreesItsShare) {
  CapacitySplit split(6);
  split.add(1);
  split.add(2);
  split.rebalance({});
  EXPECT_EQ(split.share(1), 3u);
  split.remove(2);
  split.rebalance({});
  EXPECT_EQ(split.share(1), 6u);
  EXPECT_EQ(split.proxies(), 1u);
}

}  // namespace
}  // namespace chrysalis::worker
