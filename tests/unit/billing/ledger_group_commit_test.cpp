// The books' writer thread (ledger_store.h): queued settlements are in memory at once and on disk
// once reported written, many share one transaction, nothing queued is lost at a clean close, and
// the proxy's end frames wait for their settlement's write (proxy/durable_waiters.h).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <filesystem>
#include <thread>

#include "billing/proxy_ledger.h"
#include "proxy/durable_waiters.h"
#include "support/billing_values.h"
#include "support/temp_dir.h"

namespace chrysalis::billing {
namespace {

namespace fs = std::filesystem;
using test::addr;
using test::kTon;

struct Books {
  test::TempDir tmp{"ledger-group"};
  ton::Ed25519Key key = ton::Ed25519Key::generate();
  Prices prices{.price_per_token = 1000, .worker_fee_per_token = 600};
  std::string client = addr('c'), worker = addr('e');

  LedgerOptions options() const {
    return {tmp.path() / "books.sqlite", key, prices, ton::Address::parse(addr('a')), ton::Address::parse(addr('b'))};
  }
  std::unique_ptr<ProxyLedger> open_serving() {
    auto l = ProxyLedger::open(options());
    EXPECT_TRUE(l->verify_against_chain({l->state().last_committed_seqno, l->state().last_committed_hash}).ok);
    l->update_client_chain(client, {10 * kTon, 10 * kTon, 0});
    return l;
  }
  // `n` holds, then their settlements (10 tokens each), all queued.
  void queue_many(ProxyLedger& l, int n) const {
    std::vector<uint64_t> reservations;
    for (int i = 0; i < n; ++i) reservations.push_back(l.reserve({client, worker, kCoefficientOne, 5, 5}).id);
    for (auto id : reservations) l.settle_batch_queued({{id, TokenUsage{5, 0, 5, 0}}});
  }
  // One request's hold and its settlement, queued.
  QueuedSettlements settle_one(ProxyLedger& l) const {
    auto r = l.reserve({client, worker, kCoefficientOne, 10, 20});
    return l.settle_batch_queued({{r.id, TokenUsage{10, 0, 20, 0}}});
  }
};

TEST(LedgerGroupCommit, QueuedSettlementIsInMemoryAtOnceAndOnDiskOnceReported) {
  Books b;
  std::atomic<uint64_t> written{0};
  uint64_t charged = 0;
  {
    auto l = b.open_serving();
    l->on_written([&](uint64_t through) { written = std::max<uint64_t>(written, through); });
    auto queued = b.settle_one(*l);
    ASSERT_EQ(queued.settlements.size(), 1u);
    EXPECT_GT(queued.ticket, 0u);
    charged = queued.settlements[0].charged_tokens;
    EXPECT_GT(charged, 0u);
    EXPECT_EQ(l->state().total_charged_tokens, charged);  // the books hold it before the disk does
    for (int i = 0; i < 500 && written < queued.ticket; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    EXPECT_GE(written.load(), queued.ticket);
  }
  auto reopened = ProxyLedger::open(b.options());
  EXPECT_EQ(reopened->state().total_charged_tokens, charged);
  EXPECT_TRUE(reopened->check_invariants().empty());
}

TEST(LedgerGroupCommit, SettlementsQueuedTogetherShareTransactions) {
  Books b;
  auto l = b.open_serving();
  b.queue_many(*l, 200);
  l.reset();  // a clean close writes everything queued, in order
  auto again = ProxyLedger::open(b.options());
  EXPECT_EQ(again->state().reservation_count, 0u);
  EXPECT_EQ(again->state().total_charged_tokens, 200u * 10u);
  EXPECT_TRUE(again->check_invariants().empty());
}

TEST(LedgerGroupCommit, WriterGroupsWritesAndCountsThem) {
  Books b;
  auto l = b.open_serving();
  b.queue_many(*l, 300);
  l->prepare_commit();  // a waited-for write: behind all of the above
  auto s = l->writer_stats();
  EXPECT_GE(s.writes, 601u);  // 300 holds, 300 settlements, the commit
  // How many share a transaction depends on the disk's fsync time against the signing time (make
  // bench shows it under load); here only that the counts add up.
  EXPECT_LE(s.groups, s.writes);
  EXPECT_GE(s.largest_group, 1u);
  EXPECT_GE(s.durable_groups, 1u);
  EXPECT_EQ(s.failures, 0u);
  EXPECT_EQ(s.queued, 0u);
}

TEST(LedgerGroupCommit, AClosedLedgerHasWrittenWhatWasQueued) {
  Books b;
  {
    auto l = b.open_serving();
    l->reserve({b.client, b.worker, kCoefficientOne, 10, 20});  // queued, not waited for
  }
  auto l = ProxyLedger::open(b.options());
  EXPECT_EQ(l->state().reservation_count, 1u);
  EXPECT_EQ(l->release_open_reservations(), 1u);
}

// Serving books with durable waiters attached, and one settlement queued on them.
struct Waiting {
  Books b;
  boost::asio::io_context io;
  proxy::DurableWaiters waiters{io.get_executor()};
  std::unique_ptr<ProxyLedger> l = b.open_serving();
  QueuedSettlements queued = (waiters.attach(*l), b.settle_one(*l));
};

TEST(DurableWaiters, EndsRunOnlyOnceTheirSettlementIsWritten) {
  Waiting w;
  auto& [b, io, waiters, l, queued] = w;
  bool sent = false;
  waiters.after(queued.ticket, [&] { sent = true; });
  EXPECT_FALSE(sent);  // not before the writer has reported it
  EXPECT_EQ(waiters.stats()["waiting"], 1);
  for (int i = 0; i < 1000 && !sent; ++i) {  // the writer thread posts its report to `io`
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    io.restart();
    io.poll();
  }
  EXPECT_TRUE(sent);
  EXPECT_EQ(waiters.stats()["ran"], 1);
  // A ticket already written runs at once.
  bool again = false;
  waiters.after(queued.ticket, [&] { again = true; });
  EXPECT_TRUE(again);
}

TEST(DurableWaiters, DetachRunsEveryWaiter) {
  Waiting w;
  auto& [b, io, waiters, l, queued] = w;
  int ran = 0;
  waiters.after(queued.ticket, [&] { ++ran; });
  l.reset();  // writes what is queued
  waiters.detach();
  EXPECT_EQ(ran, 1);
  io.run_for(std::chrono::milliseconds(20));  // a late report from the old ledger runs nothing
  EXPECT_EQ(ran, 1);
}

}  // namespace
}  // namespace chrysalis::billing
