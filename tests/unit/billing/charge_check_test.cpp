#include "billing/charge_check.h"

#include <gtest/gtest.h>

namespace chrysalis::billing {
namespace {

Prices prices() {
  Prices p;
  p.price_per_token = 2;
  p.worker_fee_per_token = 1;
  p.cached_mult = 5000;  // cached prompt tokens at half price
  return p;
}

proto::Usage usage(uint64_t prompt, uint64_t cached, uint64_t completion) {
  proto::Usage u;
  u.set_prompt_tokens(prompt);
  u.set_cached_tokens(cached);
  u.set_completion_tokens(completion);
  return u;
}

proto::Billing billed(uint64_t tokens, uint64_t nano) {
  proto::Billing b;
  b.set_charged_tokens(tokens);
  b.set_cost_nano(nano);
  return b;
}

TEST(ChargeCheck, AnHonestBillHolds) {
  proto::WorkerReceipt w;
  w.set_coefficient(1000);
  auto u = usage(30, 10, 48);  // 20 + 10 x 0.5 + 48 = 73 adjusted tokens
  EXPECT_EQ(charge_problem(&w, u, nullptr, billed(73, 146), prices()), "");
  EXPECT_EQ(charge_problem(&w, u, nullptr, billed(50, 100), prices()), "") << "capped by funds: less is fine";
}

TEST(ChargeCheck, MoreThanTheSignedUsageIsWorthIsAnOvercharge) {
  proto::WorkerReceipt w;
  w.set_coefficient(1000);
  auto problem = charge_problem(&w, usage(30, 10, 48), nullptr, billed(74, 148), prices());
  EXPECT_NE(problem.find("charged 74 tokens"), std::string::npos) << problem;
  EXPECT_NE(problem.find("worth 73"), std::string::npos) << problem;
  w.set_coefficient(2000);  // a pricier worker makes the same bill honest
  EXPECT_EQ(charge_problem(&w, usage(30, 10, 48), nullptr, billed(74, 148), prices()), "");
}

TEST(ChargeCheck, NanoTonMustMatchTheTokensAtTheNetworkPrice) {
  proto::WorkerReceipt w;
  w.set_coefficient(1000);
  auto problem = charge_problem(&w, usage(30, 10, 48), nullptr, billed(73, 147), prices());
  EXPECT_NE(problem.find("billed 147 nanoTON for 73 tokens, which cost 146"), std::string::npos) << problem;
}

TEST(ChargeCheck, TheCountersignatureMustSayWhatWasBilled) {
  proto::WorkerReceipt w;
  w.set_coefficient(1000);
  proto::ProxyCountersign c;
  c.set_charged_tokens(70);
  c.set_cost_nano(140);
  auto problem = charge_problem(&w, usage(30, 10, 48), &c, billed(73, 146), prices());
  EXPECT_NE(problem.find("countersigned charge (70 tokens) is not the one it billed (73)"), std::string::npos)
      << problem;
}

TEST(ChargeCheck, NothingMayBeChargedWithoutAValidReceipt) {
  EXPECT_EQ(charge_problem(nullptr, usage(0, 0, 0), nullptr, billed(0, 0), prices()), "");
  auto problem = charge_problem(nullptr, usage(30, 0, 48), nullptr, billed(78, 156), prices());
  EXPECT_NE(problem.find("without a valid worker receipt"), std::string::npos) << problem;
}

TEST(ChargeCheck, AWorkerThatVanishedIsPaidAtMostWhatTheClientReceived) {
  ReceivedBound received;
  received.usage = usage(30, 0, 10);
  received.coefficient = 1000;
  uint64_t worth = adjusted_tokens({30, 0, 10, 0}, 1000, prices());
  auto cost = client_cost_nano(worth, prices());
  EXPECT_EQ(charge_problem(nullptr, usage(30, 0, 10), nullptr, billed(worth, cost), prices(), &received), "");
  auto problem = charge_problem(nullptr, usage(30, 0, 48), nullptr, billed(worth + 1, client_cost_nano(worth + 1, prices())),
                                prices(), &received);
  EXPECT_NE(problem.find("unsigned part of an answer"), std::string::npos) << problem;
  problem = charge_problem(nullptr, usage(30, 0, 10), nullptr, billed(worth, cost + 1), prices(), &received);
  EXPECT_NE(problem.find("not the network's price"), std::string::npos) << problem;
}

}  // namespace
}  // namespace chrysalis::billing
