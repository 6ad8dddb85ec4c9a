// Price and deadline terms: the cheapest worker predicted to meet the deadline, else the soonest,
// and a price cap turned into the coefficients it admits.
#include "proxy/routing_deadline.h"
#include "proxy/routing_price_policies.h"

#include <gtest/gtest.h>

#include <limits>

using namespace chrysalis::proxy;

namespace {

WorkerCandidate deadline_worker(uint32_t coefficient, double ttft_ms, uint32_t running = 0) {
  WorkerCandidate c;
  c.model = "m";
  c.coefficient = coefficient;
  c.max_concurrent = 4;
  c.running = running;
  c.ttft_ms = ttft_ms;
  c.tokens_per_s = 30;
  return c;
}

// A prompt of 400 tokens: the stored TTFT is the predicted one (prompt_ttft_scale = 1).
const RequestShape kShape{.expected_tokens = 100, .prompt_tokens = 400};

DeadlinePick choose(const std::vector<WorkerCandidate>& ws, uint32_t deadline_ms, uint64_t price = 0) {
  std::vector<std::size_t> eligible;
  for (std::size_t i = 0; i < ws.size(); ++i) eligible.push_back(i);
  return choose_for_deadline(ws, eligible, kShape, deadline_ms, PolicyParams{}, price);
}

}  // namespace

TEST(RoutingDeadline, TheCheapestWorkerThatMakesTheDeadlineWins) {
  std::vector<WorkerCandidate> ws = {deadline_worker(3000, 50), deadline_worker(1000, 800), deadline_worker(1500, 150)};
  auto pick = choose(ws, 200, 2);
  EXPECT_EQ(pick.index, 2u) << "1.5x makes 200 ms; the 1.0x worker would take 800 ms";
  EXPECT_TRUE(pick.meets);
  EXPECT_EQ(pick.reason,
            "cheapest of 2 worker(s) predicted to meet ttft_deadline_ms 200: coefficient 1500 (3000 nanoTON per "
            "1,000 tokens), first token predicted in 150 ms");
  EXPECT_EQ(choose(ws, 1000).index, 1u) << "a loose deadline: the cheapest of all";
}

TEST(RoutingDeadline, LoadAndRoundTripCountInThePrediction) {
  auto busy = deadline_worker(1000, 100, 3);  // three running: 1 + 0.3 x 3 = 1.9x slower
  busy.rtt_ms = 20;
  EXPECT_DOUBLE_EQ(predicted_ttft_ms(busy, kShape, PolicyParams{}, 0), 20 + 100 * 1.9);
  std::vector<WorkerCandidate> ws = {busy, deadline_worker(2000, 100)};
  EXPECT_EQ(choose(ws, 150).index, 1u) << "the cheap worker is too busy to make 150 ms";
}

TEST(RoutingDeadline, WhenNobodyCanMakeItTheSoonestAnswers) {
  std::vector<WorkerCandidate> ws = {deadline_worker(1000, 900), deadline_worker(4000, 300), deadline_worker(2000, 600)};
  auto pick = choose(ws, 100);
  EXPECT_EQ(pick.index, 1u);
  EXPECT_FALSE(pick.meets);
  EXPECT_EQ(pick.reason,
            "no worker predicted to meet ttft_deadline_ms 100; the soonest: first token predicted in 300 ms, "
            "coefficient 4000");
}

TEST(RoutingDeadline, EqualPricesGoToTheSoonerAndUntrustedWorkersWait) {
  std::vector<WorkerCandidate> ws = {deadline_worker(1000, 180), deadline_worker(1000, 90), deadline_worker(500, 10)};
  ws[2].trust = 0.1;  // cheapest and fastest, but below the policy's minimum trust
  EXPECT_EQ(choose(ws, 200).index, 1u);
  std::vector<WorkerCandidate> only_untrusted = {ws[2]};
  EXPECT_EQ(choose(only_untrusted, 200).index, 0u) << "a last resort is still a worker";
}

TEST(RoutingDeadline, AnUnmeasuredWorkerIsAssumedTypicalAndSaysSo) {
  auto fresh = deadline_worker(500, 0);
  fresh.tokens_per_s = 0;  // no history
  std::vector<WorkerCandidate> ws = {deadline_worker(2000, 100), deadline_worker(2000, 300), fresh};
  auto pick = choose(ws, 250);  // typical = mean of the measured = 200 ms
  EXPECT_EQ(pick.index, 2u);
  EXPECT_NE(pick.reason.find("(not measured yet: assumed typical)"), std::string::npos) << pick.reason;
}

TEST(RoutingDeadline, APriceCapAdmitsTheCoefficientsItCanPayFor) {
  EXPECT_EQ(coefficient_cap(5000, 2), 2500u);  // 2 nanoTON per token: 1,000 tokens at 2.5x cost 5,000
  EXPECT_EQ(coefficient_cap(1, 2), 0u);
  EXPECT_EQ(coefficient_cap(0, 2), std::numeric_limits<uint32_t>::max()) << "no cap asked";
  EXPECT_EQ(coefficient_cap(5000, 0), std::numeric_limits<uint32_t>::max()) << "an unpaid proxy charges nothing";
  EXPECT_EQ(coefficient_cap(std::numeric_limits<uint64_t>::max(), 1), std::numeric_limits<uint32_t>::max());
}

TEST(RoutingPriceBaselines, CheapestFastestAndPriceWeightedChooseAsNamed) {
  std::vector<WorkerCandidate> ws = {deadline_worker(2000, 50), deadline_worker(500, 900), deadline_worker(500, 400), deadline_worker(1000, 100)};
  std::vector<std::size_t> all = {0, 1, 2, 3};
  std::mt19937_64 rng(7);
  EXPECT_EQ(make_selection_policy("cheapest")->choose(ws, all, kShape, rng), 2u) << "cheapest, then sooner";
  EXPECT_EQ(make_selection_policy("fastest")->choose(ws, all, kShape, rng), 0u);
  auto weighted = make_selection_policy("price_weighted");
  std::vector<int> picks(4);
  for (int i = 0; i < 4000; ++i) picks[weighted->choose(ws, all, kShape, rng)]++;
  // Weights 1/price^2: 0.25 : 4 : 4 : 1 (x 1e-6), so about 3 %, 43 %, 43 % and 11 %.
  EXPECT_GT(picks[1] + picks[2], 3200);
  EXPECT_GT(picks[3], picks[0]);
  EXPECT_GT(picks[0], 0) << "the dear worker still gets a little";
}
