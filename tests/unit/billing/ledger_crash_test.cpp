// kill -9 of a process in the middle of settling: the books it leaves behind load, their signed
// totals hold, and the charged tokens equal what the process reported as settled (or that plus the
// one settlement in flight, whose transaction committed before its report was written).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "billing/proxy_ledger.h"
#include "support/temp_dir.h"

namespace chrysalis::billing {
namespace {

namespace fs = std::filesystem;

TEST(BillingLedgerCrash, KilledMidSettlementLosesNoTokenAndCountsNoneTwice) {
  const test::TempDir tmp{"crash"};
  const fs::path dir = tmp.path();
  auto key = ton::Ed25519Key::generate();
  Prices prices{.price_per_token = 1000, .worker_fee_per_token = 600};
  const std::string client = "0:" + std::string(64, 'c'), worker = "0:" + std::string(64, 'e');
  LedgerOptions options{dir / "books.sqlite", key, prices, ton::Address::parse("0:" + std::string(64, 'a')),
                        ton::Address::parse("0:" + std::string(64, 'b'))};
  {
    auto l = ProxyLedger::open(options);
    ASSERT_TRUE(l->verify_against_chain({0, {}}).ok);
    l->update_client_chain(client, {1'000'000'000'000, 1'000'000'000'000, 0});
  }
  std::mt19937 rng(42);
  uint64_t reported_total = 0;
  for (int round = 0; round < 5; ++round) {
    int pipefd[2];
    ASSERT_EQ(pipe(pipefd), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {  // the "proxy": settles requests as fast as it can, reporting each after it returns
      close(pipefd[0]);
      auto l = ProxyLedger::open(options);
      auto committed = l->state();
      l->verify_against_chain({committed.last_committed_seqno, committed.last_committed_hash});
      l->release_open_reservations();
      for (uint64_t i = 1;; ++i) {
        auto t = l->reserve({.client = client, .worker = worker, .prompt_tokens = 10, .max_tokens = 50});
        auto s = l->settle(t.id, {10, 0, i % 50, 0});
        uint64_t charged = s.charged_tokens;
        if (write(pipefd[1], &charged, sizeof charged) != sizeof charged) _exit(3);
      }
    }
    close(pipefd[1]);
    uint64_t charged = 0, last = 0, n = 0;
    // The kill lands mid-settlement only once settling runs: wait for the first report (a loaded
    // machine may take longer than the random delay to open the books), then a random while more.
    if (::read(pipefd[0], &charged, sizeof charged) == sizeof charged) {
      reported_total += charged;
      ++n;
    }
    usleep(std::uniform_int_distribution<int>(50'000, 400'000)(rng));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    while (::read(pipefd[0], &charged, sizeof charged) == sizeof charged) {
      reported_total += charged;
      last = charged;
      ++n;
    }
    close(pipefd[0]);
    ASSERT_GT(n, 0u) << "round " << round << " settled nothing before the kill";
    auto l = ProxyLedger::open(options);  // throws LedgerTampered if the kill left inconsistent rows
    EXPECT_TRUE(l->check_invariants().empty());
    uint64_t books = l->client(client)->charged_tokens;
    // At most one settlement can be in the books without its report (killed between the two).
    EXPECT_GE(books, reported_total) << "round " << round << ": a reported settlement was lost";
    EXPECT_LE(books, reported_total + 60) << "round " << round << ": more than the one settlement in flight";
    EXPECT_EQ(l->worker(worker)->earned_tokens, books);
    reported_total = books;  // the next round continues from what the books hold
    (void)last;
  }
}

}  // namespace
}  // namespace chrysalis::billing
