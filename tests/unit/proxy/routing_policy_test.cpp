#include <gtest/gtest.h>

#include <map>

#include "common/toml_reader.h"
#include "proxy/routing_affinity.h"
#include "proxy/routing_config.h"
#include "proxy/routing_selection_policy.h"

using namespace chrysalis::proxy;

namespace {

WorkerCandidate worker(double ttft, double tps, uint32_t running = 0, uint32_t cap = 4) {
  WorkerCandidate c;
  c.model = "m";
  c.max_concurrent = cap;
  c.running = running;
  c.ttft_ms = ttft;
  c.tokens_per_s = tps;
  return c;
}

int pick(const std::string& policy, const std::vector<WorkerCandidate>& ws, uint32_t max_coef = 4000) {
  auto p = make_selection_policy(policy);
  std::mt19937_64 rng(1);
  return select_worker(ws, "m", max_coef, *p, RequestShape{}, rng).index;
}

}  // namespace

TEST(RoutingPolicy, UnknownPolicyIsAClearError) {
  try {
    make_selection_policy("slowest");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'slowest'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("price_weighted"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("reference"), std::string::npos);
  }
}

TEST(RoutingPolicy, EveryPolicyRespectsEligibility) {
  std::vector<WorkerCandidate> ws(5, worker(100, 50));
  ws[0].enabled = false;
  ws[1].running = 4;         // full
  ws[2].coefficient = 9000;  // too expensive
  ws[3].model = "other";
  for (auto& name : selection_policy_names()) EXPECT_EQ(pick(name, ws), 4) << name;
}

TEST(RoutingPolicy, NoEligibleWorkerKeepsTheExplanation) {
  std::vector<WorkerCandidate> ws = {worker(100, 50, 4)};
  auto p = make_selection_policy("ours");
  std::mt19937_64 rng(1);
  auto c = select_worker(ws, "m", 4000, *p, RequestShape{}, rng);
  EXPECT_EQ(c.index, -1);
  EXPECT_EQ(c.http_status, 429);
  EXPECT_EQ(c.code, "all_workers_busy");
}

TEST(RoutingPolicy, OursPrefersTheFasterWorker) {
  std::vector<WorkerCandidate> ws = {worker(300, 20), worker(300, 60), worker(300, 40)};
  EXPECT_EQ(pick("ours", ws), 1);
}

TEST(RoutingPolicy, OursAccountsForRunningRequestsAndRtt) {
  std::vector<WorkerCandidate> ws = {worker(300, 60, 3, 8), worker(300, 50, 0, 8)};
  EXPECT_EQ(pick("ours", ws), 1);  // 60 tok/s slowed by 3 running is slower than an idle 50
  ws = {worker(300, 50), worker(300, 50)};
  ws[0].rtt_ms = 200;
  EXPECT_EQ(pick("ours", ws), 1);
}

TEST(RoutingPolicy, OursAvoidsDistrustedWorkers) {
  std::vector<WorkerCandidate> ws = {worker(300, 80), worker(300, 40)};
  ws[0].trust = 0.3;
  EXPECT_EQ(pick("ours", ws), 1);
  // ...but uses one when it is the only worker free.
  ws[1].running = 4;
  EXPECT_EQ(pick("ours", ws), 0);
}

TEST(RoutingPolicy, OursGivesTrialWorkersOneRequestAtATime) {
  std::vector<WorkerCandidate> ws = {worker(300, 40, 2), worker(0, 0)};
  ws[1].trial = true;  // unmeasured: assumed typical, so it beats the busier established worker
  EXPECT_EQ(pick("ours", ws), 1);
  ws[1].running = 1;  // its one trial request is running: no more until it has a record
  EXPECT_EQ(pick("ours", ws), 0);
  ws[0].running = 4;  // ...unless nothing else is free
  EXPECT_EQ(pick("ours", ws), 1);
}

TEST(RoutingPolicy, OursKeepsPrefixAffinityWhileNotMuchWorse) {
  std::vector<WorkerCandidate> ws = {worker(300, 50), worker(300, 45)};
  ws[1].affinity = true;
  EXPECT_EQ(pick("ours", ws), 1);
  ws[1].running = 3;  // overloaded: affinity yields
  EXPECT_EQ(pick("ours", ws), 0);
}

TEST(RoutingPolicy, ReferenceIsRunningTimesAverageFirstWins) {
  std::vector<WorkerCandidate> ws = {worker(0, 0, 1), worker(0, 0, 2), worker(0, 0, 1)};
  for (auto& w : ws) w.history = 100;
  ws[0].avg_request_ms = 1000;  // weight 1000
  ws[1].avg_request_ms = 100;   // weight 200
  ws[2].avg_request_ms = 200;   // weight 200, later: loses the tie
  EXPECT_EQ(pick("reference", ws), 1);
  // Without ~60 requests of history the average reads 0: the first worker wins.
  for (auto& w : ws) w.history = 10;
  EXPECT_EQ(pick("reference", ws), 0);
}

TEST(RoutingPolicy, RoundRobinTakesTheLeastRecentlyUsed) {
  std::vector<WorkerCandidate> ws = {worker(0, 0), worker(0, 0), worker(0, 0)};
  ws[0].last_dispatch = 5;
  ws[1].last_dispatch = 2;
  ws[2].last_dispatch = 9;
  EXPECT_EQ(pick("round_robin", ws), 1);
}

TEST(RoutingPolicy, RandomSpreadsAndOracleUsesTruth) {
  std::vector<WorkerCandidate> ws = {worker(0, 0), worker(0, 0), worker(0, 0)};
  auto p = make_selection_policy("random");
  std::mt19937_64 rng(3);
  std::map<int, int> seen;
  for (int i = 0; i < 300; ++i) seen[select_worker(ws, "m", 4000, *p, RequestShape{}, rng).index]++;
  EXPECT_EQ(seen.size(), 3u);
  ws[2].true_expected_ms = 1;
  ws[0].true_expected_ms = ws[1].true_expected_ms = 5;
  EXPECT_EQ(pick("oracle", ws), 2);
}

TEST(RoutingAffinity, PrefixHashNeedsALongPrompt) {
  auto body = nlohmann::json::parse(R"({"messages":[{"role":"user","content":"abcdefghij-tail-1"}]})");
  auto same = nlohmann::json::parse(R"({"messages":[{"role":"user","content":"abcdefghij-other"}]})");
  EXPECT_NE(prompt_prefix_hash(body, 10), 0u);
  EXPECT_EQ(prompt_prefix_hash(body, 10), prompt_prefix_hash(same, 10));
  EXPECT_EQ(prompt_prefix_hash(body, 100), 0u);
  EXPECT_EQ(prompt_prefix_hash(nlohmann::json::parse(R"({"prompt":"0123456789xyz"})"), 10),
            prompt_prefix_hash(nlohmann::json::parse(R"({"prompt":"0123456789abc"})"), 10));
}

TEST(RoutingAffinity, RemembersTheNewestPrefixes) {
  PrefixAffinity a(2);
  a.remember(1, "w1");
  a.remember(2, "w2");
  a.remember(1, "w3");
  a.remember(3, "w4");  // evicts 2, the oldest
  EXPECT_EQ(a.worker_for(1), "w3");
  EXPECT_EQ(a.worker_for(2), "");
  EXPECT_EQ(a.worker_for(3), "w4");
  EXPECT_EQ(a.size(), 2u);
}

TEST(RoutingConfig, TheDefaultsTurnOnWhatMakesTheNetworkDependable) {
  auto c = load_routing_config(chrysalis::TomlReader::from_string("", "proxy.toml"));
  EXPECT_GT(c.first_token_timeout_ms, 0u);
  EXPECT_GT(c.hedge_after_ms, 0u);
  EXPECT_LT(c.hedge_after_ms, c.first_token_timeout_ms) << "a hedge must have a chance before the retry";
  EXPECT_GT(c.spot_check_rate, 0);
  EXPECT_GT(c.trial_share, 0);
  EXPECT_GT(c.affinity_prefix_chars, 0u);
  // Each can still be turned off, and a factor below 1 is refused by name.
  auto off = load_routing_config(chrysalis::TomlReader::from_string(
      "[routing]\nfirst_token_timeout_ms = 0\nhedge_after_ms = 0\nspot_check_rate = 0\n", "proxy.toml"));
  EXPECT_EQ(off.first_token_timeout_ms, 0u);
  EXPECT_EQ(off.hedge_after_ms, 0u);
  EXPECT_EQ(off.spot_check_rate, 0);
  try {
    load_routing_config(chrysalis::TomlReader::from_string("[routing]\nhedge_factor = 0.5\n", "proxy.toml"));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("routing.hedge_factor"), std::string::npos) << e.what();
  }
}

TEST(RoutingConfig, StallLimitsScaleWithThePredictionAboveTheirFloor) {
  EXPECT_EQ(stall_limit_ms(0, 4, 5000), 0u) << "a floor of 0 is off";
  EXPECT_EQ(stall_limit_ms(1000, 2, 3000), 6000u);
  EXPECT_EQ(stall_limit_ms(1000, 2, 100), 1000u);
  EXPECT_EQ(stall_limit_ms(1000, 4, 1e9), 3'600'000u) << "never more than an hour";
}
