#include <gtest/gtest.h>

#include "proxy/routing_worker_selector.h"

using chrysalis::proxy::choose_worker;
using chrysalis::proxy::WorkerCandidate;

// Fields not named keep their defaults: coefficient 1000 (1.0x), enabled.

TEST(WorkerSelector, PrefersLowestExpectedWait) {
  std::vector<WorkerCandidate> workers = {
      {.model = "m", .max_concurrent = 4, .running = 3, .avg_request_ms = 100},  // (3+1)/4*100 = 100
      {.model = "m", .max_concurrent = 4, .running = 0, .avg_request_ms = 200},  // (0+1)/4*200 = 50
      {.model = "m", .max_concurrent = 4, .running = 1, .avg_request_ms = 50},   // (1+1)/4*50 = 25
  };
  EXPECT_EQ(choose_worker(workers, "m", 4000).index, 2);
}

TEST(WorkerSelector, SkipsDisabledFullExpensiveAndOtherModels) {
  std::vector<WorkerCandidate> workers = {
      {.model = "other", .max_concurrent = 4, .running = 0, .avg_request_ms = 1},
      {.model = "m", .max_concurrent = 4, .running = 0, .enabled = false, .avg_request_ms = 1},
      {.model = "m", .max_concurrent = 2, .running = 2, .avg_request_ms = 1},
      {.model = "m", .coefficient = 5000, .max_concurrent = 4, .running = 0, .avg_request_ms = 1},
      {.model = "m", .coefficient = 2000, .max_concurrent = 4, .running = 3, .avg_request_ms = 500},
  };
  EXPECT_EQ(choose_worker(workers, "m", 4000).index, 4);
}

TEST(WorkerSelector, ExplainsUnknownModel) {
  std::vector<WorkerCandidate> workers = {{.model = "a", .max_concurrent = 4, .running = 0, .avg_request_ms = 1}};
  auto c = choose_worker(workers, "b", 4000);
  EXPECT_EQ(c.index, -1);
  EXPECT_EQ(c.http_status, 404);
  EXPECT_EQ(c.code, "model_not_found");
}

TEST(WorkerSelector, ExplainsAllBusy) {
  std::vector<WorkerCandidate> workers = {{.model = "m", .max_concurrent = 1, .running = 1, .avg_request_ms = 1},
                                          {.model = "m", .max_concurrent = 2, .running = 2, .avg_request_ms = 1}};
  auto c = choose_worker(workers, "m", 4000);
  EXPECT_EQ(c.http_status, 429);
  EXPECT_EQ(c.code, "all_workers_busy");
}

TEST(WorkerSelector, ExplainsTooExpensiveWithCheapestCoefficient) {
  std::vector<WorkerCandidate> workers = {
      {.model = "m", .coefficient = 3000, .max_concurrent = 4, .running = 0, .avg_request_ms = 1},
      {.model = "m", .coefficient = 2500, .max_concurrent = 4, .running = 0, .avg_request_ms = 1}};
  auto c = choose_worker(workers, "m", 2000);
  EXPECT_EQ(c.code, "price_too_high");
  EXPECT_NE(c.message.find("2500"), std::string::npos) << c.message;
}

TEST(WorkerSelector, ExplainsNoneEnabled) {
  std::vector<WorkerCandidate> workers = {
      {.model = "m", .max_concurrent = 4, .running = 0, .enabled = false, .avg_request_ms = 1}};
  auto c = choose_worker(workers, "m", 4000);
  EXPECT_EQ(c.http_status, 503);
  EXPECT_EQ(c.code, "no_ready_workers");
  workers[0].disabled_reason = "engine unreachable: connection refused";
  EXPECT_NE(choose_worker(workers, "m", 4000).message.find("engine unreachable"), std::string::npos)
      << "the error says why the worker is disabled";
}

TEST(WorkerSelector, NewWorkersWithoutHistoryStillGetTraffic) {
  std::vector<WorkerCandidate> workers = {{.model = "m", .max_concurrent = 4, .running = 1, .avg_request_ms = 80},
                                          {.model = "m", .max_concurrent = 4, .running = 0, .avg_request_ms = 0}};
  EXPECT_EQ(choose_worker(workers, "m", 4000).index, 1);
}

TEST(WorkerSelector, ExcludedWorkersAreNotChosenAgain) {
  std::vector<WorkerCandidate> workers = {{.model = "m", .max_concurrent = 4, .running = 0, .avg_request_ms = 1},
                                          {.model = "m", .max_concurrent = 4, .running = 3, .avg_request_ms = 100}};
  workers[0].excluded = true;
  EXPECT_EQ(choose_worker(workers, "m", 4000).index, 1);
}

TEST(WorkerSelector, TiesGoToTheLongestIdleWorker) {
  std::vector<WorkerCandidate> workers = {{.model = "m", .max_concurrent = 4, .running = 0, .avg_request_ms = 0},
                                          {.model = "m", .max_concurrent = 4, .running = 0, .avg_request_ms = 0}};
  workers[0].last_dispatch = 7;
  workers[1].last_dispatch = 3;
  EXPECT_EQ(choose_worker(workers, "m", 4000).index, 1);
  workers[1].last_dispatch = 9;
  EXPECT_EQ(choose_worker(workers, "m", 4000).index, 0);
}
