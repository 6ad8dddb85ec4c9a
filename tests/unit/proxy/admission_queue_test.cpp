#include "proxy/admission_queue.h"

#include <gtest/gtest.h>

namespace chrysalis::proxy {
namespace {

const ModelCapacity kFour{.slots = 4, .request_ms = 1000};

TEST(AdmissionQueue, ClientsTakeTurnsWhateverHowManyEachQueued) {
  AdmissionQueue q(AdmissionLimits{});
  // Client 7 floods first; client 9 asks once, later.
  for (uint64_t t : {1, 2, 3}) EXPECT_FALSE(q.push(t, "m", 7, kFour, 60'000));
  EXPECT_FALSE(q.push(4, "m", 9, kFour, 60'000));
  EXPECT_FALSE(q.push(5, "other", 9, kFour, 60'000));
  EXPECT_EQ(q.depth("m"), 4u);
  EXPECT_EQ(q.pop("m"), 1u);
  EXPECT_EQ(q.pop("m"), 4u) << "the other client's turn comes before the flood's second";
  EXPECT_EQ(q.pop("m"), 2u);
  EXPECT_EQ(q.pop("m"), 3u);
  EXPECT_EQ(q.pop("m"), 0u);
  EXPECT_EQ(q.pop("other"), 5u);
  EXPECT_EQ(q.size(), 0u);
}

TEST(AdmissionQueue, APutBackKeepsItsPlaceAndARemovedTicketIsGone) {
  AdmissionQueue q(AdmissionLimits{});
  q.push(1, "m", 7, kFour, 60'000);
  q.push(2, "m", 9, kFour, 60'000);
  q.push(3, "m", 7, kFour, 60'000);
  uint64_t first = q.pop("m");
  q.put_back(first, "m", 7);  // no slot fitted it after all
  EXPECT_EQ(q.pop("m"), 1u);
  EXPECT_EQ(q.pop("m"), 2u);
  EXPECT_TRUE(q.remove(3));
  EXPECT_FALSE(q.remove(3));
  EXPECT_EQ(q.pop("m"), 0u);
  EXPECT_EQ(q.stats()["waiting"], 0);
}

TEST(AdmissionQueue, AFullQueueOrAWaitPastTheDeadlineIsRefusedWithRetryAfter) {
  AdmissionQueue q(AdmissionLimits{.max_per_model = 3, .max_per_client = 2, .max_wait_ms = 30'000});
  EXPECT_FALSE(q.push(1, "m", 7, kFour, 60'000));
  EXPECT_FALSE(q.push(2, "m", 7, kFour, 60'000));
  auto mine = q.push(3, "m", 7, kFour, 60'000);
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->code, "queue_full");
  EXPECT_NE(mine->message.find("this client's share of the queue already holds 2"), std::string::npos) << mine->message;
  EXPECT_FALSE(q.push(4, "m", 8, kFour, 60'000));
  auto full = q.push(5, "m", 9, kFour, 60'000);
  ASSERT_TRUE(full);
  EXPECT_NE(full->message.find("its queue already holds 3"), std::string::npos) << full->message;
  EXPECT_EQ(full->retry_after_s, 1u);  // it and the 3 waiting share 4 slots of 1 s each

  // Three waiting on 4 slots of 1 s: the fourth waits about 1 s, the tenth about 2.5 s.
  EXPECT_EQ(q.predicted_wait_ms("m", kFour), 1000u);
  AdmissionQueue deep(AdmissionLimits{});
  for (uint64_t t = 1; t <= 9; ++t) deep.push(t, "m", t, kFour, 60'000);
  auto late = deep.push(10, "m", 10, kFour, /*remaining_ms=*/2'000);
  ASSERT_TRUE(late);
  EXPECT_EQ(late->code, "all_workers_busy");
  EXPECT_NE(late->message.find("about 2500 ms, more than the 2000 ms"), std::string::npos) << late->message;
  EXPECT_EQ(late->retry_after_s, 3u);
  auto stats = deep.stats();
  EXPECT_EQ(stats["refused_wait"], 1);
  EXPECT_EQ(stats["by_model"]["m"], 9);
  EXPECT_EQ(stats["max_wait_ms"], 30'000);
}

}  // namespace
}  // namespace chrysalis::proxy
