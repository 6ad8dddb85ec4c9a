#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>

#include "proxy/routing_reputation.h"

using namespace chrysalis::proxy;

namespace {
constexpr int64_t kSec = 1'000'000;
}

TEST(RoutingReputation, NewWorkerIsTrustedAndOnTrial) {
  ReputationParams p;
  Reputation r;
  EXPECT_DOUBLE_EQ(r.trust(kSec, p), 1.0);
  EXPECT_TRUE(r.on_trial(kSec, p));
  for (int i = 0; i < 10; ++i) r.record(Outcome::Success, kSec, p);
  EXPECT_FALSE(r.on_trial(kSec, p));
}

TEST(RoutingReputation, FaultsLowerTrustByTheirCost) {
  ReputationParams p;
  Reputation early, stalled, mid;
  for (int i = 0; i < 10; ++i) {
    early.record(Outcome::Success, kSec, p);
    stalled.record(Outcome::Success, kSec, p);
    mid.record(Outcome::Success, kSec, p);
  }
  early.record(Outcome::ErrorBeforeFirstToken, kSec, p);
  stalled.record(Outcome::Timeout, kSec, p);
  mid.record(Outcome::ErrorAfterFirstToken, kSec, p);
  EXPECT_LT(early.trust(kSec, p), 1.0);
  EXPECT_LT(stalled.trust(kSec, p), early.trust(kSec, p));
  EXPECT_LT(mid.trust(kSec, p), stalled.trust(kSec, p));
}

TEST(RoutingReputation, RecoveredWorkerRegainsStanding) {
  ReputationParams p;
  p.half_life_s = 60;
  Reputation r;
  for (int i = 0; i < 20; ++i) r.record(Outcome::Timeout, kSec, p);
  double bad = r.trust(kSec, p);
  EXPECT_LT(bad, 0.1);
  // Ten half-lives later, a few successes outweigh the old faults.
  int64_t later = kSec + 600 * kSec;
  for (int i = 0; i < 10; ++i) r.record(Outcome::Success, later, p);
  EXPECT_GT(r.trust(later, p), 0.9);
}

TEST(RoutingReputation, SpotCheckDisagreementsLowerHonesty) {
  ReputationParams p;
  Reputation r;
  r.record_spot_check(true, kSec, p);
  EXPECT_DOUBLE_EQ(r.honesty(kSec, p), 1.0);
  r.record_spot_check(false, kSec, p);
  EXPECT_LT(r.honesty(kSec, p), 0.2);
  EXPECT_LT(r.trust(kSec, p), 0.2);
}

TEST(RoutingReputation, SpeedIsJudgedAgainstTheModelMedian) {
  ReputationBook book;
  for (int i = 0; i < 5; ++i) book.of("fast" + std::to_string(i), "m").record_speed(200, 50, kSec, book.params());
  book.of("slow", "m").record_speed(800, 5, kSec, book.params());
  book.of("other-model", "x").record_speed(100, 500, kSec, book.params());
  EXPECT_DOUBLE_EQ(book.model_tps("m", kSec), 50);
  EXPECT_DOUBLE_EQ(book.score("fast0", kSec), 1.0);
  EXPECT_NEAR(book.score("slow", kSec), std::sqrt(5.0 / 50.0), 1e-9);
  EXPECT_DOUBLE_EQ(book.score("unknown", kSec), 1.0);
}

TEST(RoutingReputation, SpeedMeansIgnoreNonsense) {
  ReputationParams p;
  Reputation r;
  r.record_speed(100, 0, kSec, p);
  r.record_speed(-1, 10, kSec, p);
  EXPECT_EQ(r.tokens_per_s(), 0);
  r.record_speed(100, 10, kSec, p);
  r.record_speed(300, 30, kSec, p);
  EXPECT_DOUBLE_EQ(r.tokens_per_s(), 20);
  EXPECT_DOUBLE_EQ(r.ttft_ms(), 200);
}

TEST(RoutingReputation, RestoreKeepsState) {
  ReputationBook a;
  a.of("w", "m").record(Outcome::Timeout, kSec, a.params());
  ReputationBook b;
  b.restore("w", "m", a.entries().at("w").rep.state());
  EXPECT_DOUBLE_EQ(b.find("w")->trust(kSec, b.params()), a.find("w")->trust(kSec, a.params()));
  EXPECT_EQ(b.entries().at("w").model, "m");
}

#include <filesystem>

#include "proxy/routing_reputation_store.h"
#include "proxy/routing_state.h"
#include "support/temp_dir.h"

TEST(RoutingReputation, StoreSurvivesARestart) {
  const chrysalis::test::TempDir tmp{"routing-rep"};
  const auto file = tmp / "reputation.sqlite";
  {
    ReputationBook book;
    book.of("k1", "m").record(Outcome::Timeout, kSec, book.params());
    book.of("k1", "m").record_speed(120, 33, kSec, book.params());
    book.of("k2", "x").record(Outcome::Success, kSec, book.params());
    ReputationStore(file).save(book);
  }
  ReputationBook loaded;
  EXPECT_EQ(ReputationStore(file).load(loaded), 2u);
  ASSERT_NE(loaded.find("k1"), nullptr);
  EXPECT_EQ(loaded.entries().at("k1").model, "m");
  EXPECT_DOUBLE_EQ(loaded.find("k1")->tokens_per_s(), 33);
  EXPECT_LT(loaded.find("k1")->trust(kSec, loaded.params()), 0.5);
}

TEST(RoutingReputation, ASaveWritesOnlyWhatChangedAndARestartHasEverything) {
  const chrysalis::test::TempDir tmp{"routing-rep-changed"};
  const auto file = tmp / "reputation.sqlite";
  {
    RoutingState routing(RoutingConfig{}, file);
    for (int i = 0; i < 20; ++i) routing.record("key-" + std::to_string(i), "m", Outcome::Timeout);
    routing.save(true);
    EXPECT_EQ(routing.json()["last_save_rows"], 40) << "20 book rows and 20 counters";
    routing.record("key-3", "m", Outcome::Timeout);
    routing.save(true);
    EXPECT_EQ(routing.json()["last_save_rows"], 2) << "one worker changed: one book row and its counters";
  }
  RoutingState again(RoutingConfig{}, file);
  EXPECT_EQ(again.loaded(), 20u);
  const auto* counters = again.table().find("key-3", "m");
  ASSERT_NE(counters, nullptr);
  EXPECT_EQ(counters->json()["requests"], 2);
  ASSERT_NE(again.table().find("key-19", "m"), nullptr);
}

TEST(RoutingReputation, StoreInAnUnwritablePlaceIsAClearError) {
  try {
    ReputationStore store("/proc/no/such/dir/rep.sqlite");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/no/such/dir/rep.sqlite"), std::string::npos);
  }
}
