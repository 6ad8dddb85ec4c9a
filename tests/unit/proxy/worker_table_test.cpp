#include "proxy/worker_table.h"

#include <gtest/gtest.h>

#include <set>

namespace chrysalis::proxy {
namespace {

// A table of `n` enabled workers for `model` (no connections: the table needs none to choose).
struct Table {
  RoutingState routing{RoutingConfig{}, ""};
  WorkerTable table{routing, false, [] { return std::string(); }, nullptr};

  void add(uint64_t conn, const std::string& model, uint32_t coefficient = 1000) {
    WorkerEntry w;
    w.id = "w" + std::to_string(conn);
    w.coefficient = coefficient;
    w.max_concurrent = 1;
    w.enabled = true;
    w.disabled_reason.clear();
    WorkerEntry& added = table.add(conn, std::move(w));
    table.set_model(added, model);
  }
  void fill(std::size_t n, const std::string& model) {
    for (uint64_t i = 1; i <= n; ++i) add(i, model);
  }
  WorkerTable::CandidateList list(const std::string& model, uint64_t prefix_hash = 0,
                                  const std::vector<uint64_t>& excluded = {}) {
    return table.candidates({.model = model, .max_coefficient = 4000, .prefix_hash = prefix_hash}, excluded);
  }
  WorkerPick choose(const std::string& model) {
    RequestFacts facts;
    facts.model = model;
    proto::InferenceRequest request;
    request.set_max_tokens(16);
    request.set_max_coefficient(4000);
    return table.choose(facts, request, {});
  }
};

TEST(WorkerTable, SmallModelsShowThePolicyEveryWorkerOfThatModelOnly) {
  Table t;
  t.fill(WorkerTable::kSampleAll, "m");
  t.add(1000, "other");
  t.table.entries().at(5).running = 1;  // busy: still listed, the policy skips it
  auto list = t.list("m");
  EXPECT_EQ(list.ids.size(), WorkerTable::kSampleAll);
  EXPECT_EQ(std::count(list.ids.begin(), list.ids.end(), 1000u), 0);
  EXPECT_EQ(std::count(list.ids.begin(), list.ids.end(), 5u), 1);
}

TEST(WorkerTable, LargeModelsAreSampledAndTheSampleMoves) {
  Table t;
  t.fill(10000, "m");
  std::set<uint64_t> seen;
  for (int i = 0; i < 400; ++i) {
    auto list = t.list("m");
    ASSERT_EQ(list.ids.size(), WorkerTable::kSampleSize);
    ASSERT_EQ(list.candidates.size(), list.ids.size());
    seen.insert(list.ids.begin(), list.ids.end());
  }
  // 400 windows of 16 from random starts cover about half the table (a fixed window: 16).
  EXPECT_GT(seen.size(), 3000u);
}

TEST(WorkerTable, TheSampleHoldsOnlyEligibleWorkersAndThePrefixWorkerFirst) {
  Table t;
  t.fill(1000, "m");
  for (uint64_t id = 1; id <= 1000; id += 2) t.table.entries().at(id).running = 1;  // odd ones busy
  t.table.entries().at(2).coefficient = 9000;                                    // too dear
  t.routing.remember_prefix(77, "id:w500");
  for (int i = 0; i < 50; ++i) {
    auto list = t.list("m", 77, {4});
    ASSERT_EQ(list.ids.front(), 500u) << "the worker that served the prefix is considered first";
    EXPECT_TRUE(list.candidates.front().affinity);
    for (uint64_t id : list.ids) {
      EXPECT_EQ(id % 2, 0u) << "busy worker " << id << " sampled";
      EXPECT_NE(id, 2u);
      EXPECT_NE(id, 4u) << "an excluded worker was sampled";
    }
  }
}

TEST(WorkerTable, WhenNobodyIsFreeTheErrorSaysSoAtAnySize) {
  Table t;
  t.fill(500, "m");
  for (auto& [id, w] : t.table.entries()) w.running = 1;
  auto pick = t.choose("m");
  EXPECT_EQ(pick.code, "all_workers_busy");
  EXPECT_EQ(pick.http_status, 429);
  EXPECT_NE(pick.message.find("all 500 workers"), std::string::npos) << pick.message;
  EXPECT_EQ(t.choose("nobody-serves-this").code, "model_not_found");
  t.table.entries().at(321).running = 0;
  EXPECT_EQ(t.choose("m").conn, 321u) << "the one free worker is found wherever it sits";
}

TEST(WorkerTable, TheModelIndexFollowsAnnouncementsAndDisconnects) {
  Table t;
  t.fill(3, "m");
  EXPECT_TRUE(t.table.has_free_worker("m", {}));
  t.table.set_model(t.table.entries().at(2), "n");
  EXPECT_EQ(t.list("m").ids.size(), 2u);
  EXPECT_EQ(t.list("n").ids, std::vector<uint64_t>{2});
  EXPECT_EQ(t.table.capacity("n").slots, 1u);
  t.table.remove(2);
  EXPECT_FALSE(t.table.has_free_worker("n", {}));
  EXPECT_EQ(t.choose("n").code, "model_not_found");
  EXPECT_EQ(t.table.capacity("m").slots, 2u);
  EXPECT_FALSE(t.table.has_free_worker("m", {1, 3}));
}

TEST(WorkerTable, ModelsAnswerShowsANewWorkerAtOnce) {
  Table t;
  t.fill(2, "m");
  auto before = t.table.models();
  ASSERT_EQ(before.models_size(), 1);
  EXPECT_EQ(before.models(0).workers(), 2u);
  t.add(9, "m");
  EXPECT_EQ(t.table.models().models(0).workers(), 3u) << "a cached answer hid a new worker";
  t.table.remove(9);
  t.table.remove(1);
  EXPECT_EQ(t.table.models().models(0).workers(), 1u);
}

}  // namespace
}  // namespace chrysalis::proxy
