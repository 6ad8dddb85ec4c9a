// The proxy's books on a real SQLite file: reservations never exceed what a client's contract
// allows, settlements conserve tokens and commission, only committed state is signed, and a
// tampered, restored or cloned database is refused with the reason.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <random>

#include "billing/proxy_ledger.h"
#include "support/billing_values.h"
#include "support/temp_dir.h"
#include "ton/contracts/chrysalis_contracts.h"
#include "ton/contracts/contract_signed.h"

namespace chrysalis::billing {
namespace {

namespace fs = std::filesystem;
using test::addr;
using test::kTon;

struct LedgerFixture {
  test::TempDir tmp{"ledger"};
  fs::path dir = tmp.path();
  ton::Ed25519Key key = ton::Ed25519Key::generate();
  Prices prices{.price_per_token = 1000,
                .worker_fee_per_token = 600,
                .cached_mult = 2500};  // nanoTON per adjusted token: client 1000, worker 600
  std::string client = addr('c'), client2 = addr('d'), worker = addr('e');

  fs::path file() const { return dir / "books.sqlite"; }
  LedgerOptions options(std::optional<fs::path> f = {}) const {
    return {f.value_or(file()), key, prices, ton::Address::parse(addr('a')), ton::Address::parse(addr('b'))};
  }
  std::unique_ptr<ProxyLedger> open_serving() {
    auto l = ProxyLedger::open(options());
    auto v = l->verify_against_chain({l->state().last_committed_seqno, l->state().last_committed_hash});
    EXPECT_TRUE(v.ok) << v.reason;
    return l;
  }
  // Commits the current state and lets "the chain" confirm it, as the proxy's commit loop does.
  static OnChainCommit commit(ProxyLedger& l) {
    auto req = l.prepare_commit();
    EXPECT_TRUE(l.verify_against_chain({req.seqno, req.hash}).ok);
    return {req.seqno, req.hash};
  }
};

void copy_database(const fs::path& from, const fs::path& to) {
  for (const char* suffix : {"", "-wal", "-shm"})
    if (fs::exists(from.string() + suffix))
      fs::copy_file(from.string() + suffix, to.string() + suffix, fs::copy_options::overwrite_existing);
}

TEST(BillingLedger, RefusesToServeUntilCheckedAgainstTheChain) {
  LedgerFixture f;
  auto l = ProxyLedger::open(f.options());
  EXPECT_FALSE(l->serving());
  EXPECT_NE(l->refusal().find("not yet verified"), std::string::npos);
  l->update_client_chain(f.client, {10 * kTon, kTon, 0});
  EXPECT_THROW(l->reserve({.client = f.client, .worker = f.worker, .prompt_tokens = 10, .max_tokens = 10}),
               LedgerRefused);
  EXPECT_TRUE(l->verify_against_chain({0, {}}).ok) << "a new database against a new contract";
  EXPECT_TRUE(l->serving());
}

TEST(BillingLedger, ReserveSettleConservesTokensAndCommission) {
  LedgerFixture f;
  auto l = f.open_serving();
  l->update_client_chain(f.client, {10 * kTon, kTon, 0});
  EXPECT_EQ(l->available_nano(f.client), kTon) << "the stake caps uncharged debt";
  auto t = l->reserve(
      {.client = f.client, .worker = f.worker, .coefficient = 1500, .prompt_tokens = 200, .max_tokens = 1000});
  // Worst case: 200 prompt tokens at the larger prompt multiplier, 1000 completion, coefficient 1.5.
  EXPECT_EQ(t.reserved_tokens, reservation_tokens(200, 1000, 1500, f.prices));
  EXPECT_EQ(t.reserved_nano, t.reserved_tokens * 1000);
  EXPECT_EQ(l->available_nano(f.client), kTon - t.reserved_nano);
  TokenUsage usage{.prompt = 200, .cached = 80, .completion = 300};
  auto s = l->settle(t.id, usage);
  uint64_t adjusted = adjusted_tokens(usage, 1500, f.prices);
  EXPECT_EQ(s.charged_tokens, adjusted);
  EXPECT_EQ(s.charged_nano, adjusted * 1000);
  EXPECT_EQ(s.worker_fee_nano, adjusted * 600);
  EXPECT_EQ(s.commission_nano, adjusted * 400);
  EXPECT_EQ(s.charged_nano, s.worker_fee_nano + s.commission_nano);
  EXPECT_EQ(s.released_tokens, t.reserved_tokens - adjusted);
  EXPECT_FALSE(s.capped);
  EXPECT_EQ(l->client(f.client)->charged_tokens, adjusted);
  EXPECT_EQ(l->client(f.client)->reserved_tokens, 0u);
  EXPECT_EQ(l->worker(f.worker)->earned_tokens, adjusted);
  EXPECT_EQ(l->state().commission_nano, adjusted * 400);
  EXPECT_TRUE(l->check_invariants().empty());
  EXPECT_THROW(l->settle(t.id, usage), LedgerError) << "a reservation settles once";
}

TEST(BillingLedger, CancelChargesOnlyWhatWasProduced) {
  LedgerFixture f;
  auto l = f.open_serving();
  l->update_client_chain(f.client, {10 * kTon, kTon, 0});
  auto t = l->reserve({.client = f.client, .worker = f.worker, .prompt_tokens = 50, .max_tokens = 500});
  auto s = l->cancel(t.id, {.prompt = 50, .completion = 7});
  EXPECT_EQ(s.charged_tokens, 57u);
  auto none = l->reserve({.client = f.client, .worker = f.worker, .prompt_tokens = 50, .max_tokens = 500});
  EXPECT_EQ(l->cancel(none.id, {}).charged_tokens, 0u) << "failed before any token: nothing charged";
  EXPECT_TRUE(l->check_invariants().empty());
}

TEST(BillingLedger, ConcurrentReservationsNeverExceedBalanceAndStake) {
  LedgerFixture f;
  auto l = f.open_serving();
  l->update_client_chain(f.client, {5 * kTon, kTon / 100, 0});  // stake 0.01 TON = 10 000 000 nano
  uint64_t reserved_nano = 0;
  int granted = 0;
  for (int i = 0; i < 100; ++i) {
    try {
      reserved_nano += l->reserve({.client = f.client, .worker = f.worker, .prompt_tokens = 100, .max_tokens = 900})
                           .reserved_nano;  // 1 000 000 nano each
      ++granted;
    } catch (const InsufficientFunds& e) {
      EXPECT_EQ(e.needed_nano, 1'000'000u);
      EXPECT_EQ(e.missing_nano, e.needed_nano - e.available_nano);
      EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos);
    }
  }
  EXPECT_EQ(granted, 10);
  EXPECT_EQ(reserved_nano, kTon / 100);
  EXPECT_EQ(l->available_nano(f.client), 0u);
  // An unknown client has nothing.
  EXPECT_THROW(l->reserve({.client = f.client2, .worker = f.worker, .prompt_tokens = 1, .max_tokens = 1}),
               InsufficientFunds);
}

TEST(BillingLedger, UsageBeyondTheReservationIsNeverCharged) {
  LedgerFixture f;
  auto l = f.open_serving();
  l->update_client_chain(f.client, {kTon, 100'000'000, 0});  // room for 100,000 adjusted tokens
  auto t = l->reserve({.client = f.client, .worker = f.worker, .prompt_tokens = 0, .max_tokens = 1000});
  auto s = l->settle(t.id, {.completion = 5000});  // a worker that ignored max_tokens
  EXPECT_FALSE(s.capped) << "the client could pay; the worker's claim is what was wrong";
  EXPECT_EQ(s.charged_tokens, 1000u);
  EXPECT_TRUE(l->check_invariants().empty());
}

TEST(BillingLedger, UsageBeyondWhatTheClientCanCoverIsCapped) {
  LedgerFixture f;
  auto l = f.open_serving();
  l->update_client_chain(f.client, {kTon, 1'000'000, 0});  // room for 1000 adjusted tokens
  auto t = l->reserve({.client = f.client, .worker = f.worker, .prompt_tokens = 0, .max_tokens = 1000});
  l->update_client_chain(f.client, {kTon, 400'000, 0});  // the stake shrank on chain meanwhile
  auto s = l->settle(t.id, {.completion = 1000});
  EXPECT_TRUE(s.capped);
  EXPECT_EQ(s.charged_tokens, 400u);
  EXPECT_TRUE(l->check_invariants().empty());
}

TEST(BillingLedger, OnlyCommittedStateIsSignedAndTheSignatureBindsTarget) {
  LedgerFixture f;
  auto l = f.open_serving();
  l->update_client_chain(f.client, {10 * kTon, kTon, 0});
  auto t = l->reserve({.client = f.client, .worker = f.worker, .prompt_tokens = 10, .max_tokens = 100});
  l->settle(t.id, {.prompt = 10, .completion = 90});
  EXPECT_FALSE(l->signed_charge(f.client)) << "nothing committed yet";
  EXPECT_FALSE(l->signed_payout(f.worker));
  auto req = l->prepare_commit();
  EXPECT_FALSE(l->signed_charge(f.client)) << "sent, not yet seen on chain";
  auto verdict = l->verify_against_chain({req.seqno, req.hash});
  ASSERT_TRUE(verdict.ok) << verdict.reason;
  // More usage after the commit is not signable until the next one.
  auto t2 = l->reserve({.client = f.client, .worker = f.worker, .prompt_tokens = 10, .max_tokens = 100});
  l->settle(t2.id, {.prompt = 10, .completion = 90});
  auto charge = l->signed_charge(f.client);
  ASSERT_TRUE(charge);
  EXPECT_EQ(charge->tokens, 100u);
  auto body = ton::contracts::parse_signed_body(charge->signed_body);
  EXPECT_EQ(body.payload.op, ton::contracts::op::kClientCharge);
  EXPECT_EQ(body.payload.amount, 100u);
  auto root = ton::Address::parse(addr('a'));
  EXPECT_EQ(ton::contracts::check_signed_body(body, f.key.public_key(), ton::Address::parse(f.client), root), 0);
  EXPECT_EQ(ton::contracts::check_signed_body(body, f.key.public_key(), ton::Address::parse(f.client2), root),
            ton::contracts::error::kWrongTarget);
  auto payout = l->signed_payout(f.worker);
  ASSERT_TRUE(payout);
  EXPECT_EQ(ton::contracts::parse_signed_body(payout->signed_body).payload.op, ton::contracts::op::kWorkerPayout);
  EXPECT_EQ(l->client(f.client)->signed_tokens, 100u);
  // The save-state body the proxy's wallet relays carries the seqno and the chain hash.
  auto save = ton::contracts::parse_signed_body(req.signed_body);
  EXPECT_EQ(save.payload.op, ton::contracts::op::kProxySaveState);
  EXPECT_EQ(save.payload.amount, req.seqno);
  EXPECT_EQ(save.payload.extra, req.hash);
  auto next = LedgerFixture::commit(*l);
  EXPECT_GT(next.seqno, req.seqno);
  EXPECT_EQ(l->signed_charge(f.client)->tokens, 200u);
  EXPECT_TRUE(l->check_invariants().empty());
}

// A closing client's final refund settles everything at once, so it must not be signed while a
// request of that client is still running or its usage is not yet committed on chain.
TEST(BillingLedger, TheFinalRefundWaitsForOpenRequestsAndUncommittedUsage) {
  LedgerFixture f;
  auto l = f.open_serving();
  l->update_client_chain(f.client, {10 * kTon, kTon, 0});
  auto t = l->reserve({.client = f.client, .worker = f.worker, .prompt_tokens = 10, .max_tokens = 100});
  EXPECT_FALSE(l->signed_final_refund(f.client)) << "a request is running";
  l->settle(t.id, {.prompt = 10, .completion = 90});
  EXPECT_FALSE(l->signed_final_refund(f.client)) << "its usage is not committed yet";
  LedgerFixture::commit(*l);
  auto refund = l->signed_final_refund(f.client);
  ASSERT_TRUE(refund);
  EXPECT_EQ(refund->tokens, 100u);
  auto body = ton::contracts::parse_signed_body(refund->signed_body);
  EXPECT_EQ(body.payload.op, ton::contracts::op::kClientRefund);
  EXPECT_EQ(body.payload.amount, 100u);
  EXPECT_EQ(ton::contracts::check_signed_body(body, f.key.public_key(), ton::Address::parse(f.client),
                                              ton::Address::parse(addr('a'))),
            0);
  // A client the books never charged gets everything back: a refund at zero tokens.
  auto fresh = l->signed_final_refund(f.client2);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->tokens, 0u);
}

TEST(BillingLedger, ACommitTheChainSkippedIsContainedInTheNextAndOnlyMovedPartiesAreSnapshotted) {
  LedgerFixture f;
  auto l = f.open_serving();
  l->update_client_chain(f.client, {10 * kTon, kTon, 0});
  l->update_client_chain(f.client2, {10 * kTon, kTon, 0});
  auto t = l->reserve({.client = f.client, .worker = f.worker, .prompt_tokens = 10, .max_tokens = 100});
  l->settle(t.id, {.prompt = 10, .completion = 30});  // client: 40 tokens, before the first commit only
  auto first = l->prepare_commit();                   // pending, never seen on chain by itself
  auto t2 = l->reserve({.client = f.client2, .worker = f.worker, .prompt_tokens = 10, .max_tokens = 100});
  l->settle(t2.id, {.prompt = 10, .completion = 10});  // client2: 20 tokens, after it
  auto second = l->prepare_commit();
  ASSERT_TRUE(l->verify_against_chain({second.seqno, second.hash}).ok);
  EXPECT_EQ(l->client(f.client)->committed_tokens, 40u) << "from the skipped commit's snapshot";
  EXPECT_EQ(l->client(f.client2)->committed_tokens, 20u);
  EXPECT_EQ(l->worker(f.worker)->committed_tokens, 60u);
  EXPECT_EQ(l->state().pending_count, 0u);
  EXPECT_GT(second.seqno, first.seqno);
  // Nothing moved since: the next commit snapshots nobody, and changes nothing that is signable.
  auto third = l->prepare_commit();
  ASSERT_TRUE(l->verify_against_chain({third.seqno, third.hash}).ok);
  EXPECT_EQ(l->signed_charge(f.client)->tokens, 40u);
  EXPECT_TRUE(l->check_invariants().empty());
}

TEST(BillingLedger, ABatchSettlesLikeOneByOneInOneChangeAndIsAllOrNothing) {
  LedgerFixture f;
  auto l = f.open_serving();
  l->update_client_chain(f.client, {10 * kTon, kTon, 0});
  l->update_client_chain(f.client2, {10 * kTon, kTon, 0});
  auto a = l->reserve({.client = f.client, .worker = f.worker, .prompt_tokens = 10, .max_tokens = 100});
  auto b =
      l->reserve({.client = f.client, .worker = f.worker, .coefficient = 1500, .prompt_tokens = 10, .max_tokens = 100});
  auto c = l->reserve({.client = f.client2, .worker = addr('f'), .prompt_tokens = 10, .max_tokens = 100});
  uint64_t seqno = l->state().seqno;
  auto missing = std::vector<std::pair<uint64_t, TokenUsage>>{{a.id, {.prompt = 10, .completion = 20}},
                                                              {999, {.prompt = 1, .completion = 1}}};
  EXPECT_THROW(l->settle_batch(missing), LedgerError);
  EXPECT_EQ(l->state().seqno, seqno) << "nothing of a refused batch is written";
  EXPECT_EQ(l->reservations().size(), 3u);
  auto s = l->settle_batch({{a.id, {.prompt = 10, .completion = 20}},
                            {b.id, {.prompt = 10, .completion = 40}},
                            {c.id, {.prompt = 10, .completion = 5}}});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].charged_tokens, 30u);
  EXPECT_EQ(s[1].charged_tokens, adjusted_tokens({.prompt = 10, .completion = 40}, 1500, f.prices));
  EXPECT_EQ(s[2].charged_tokens, 15u);
  EXPECT_EQ(l->state().seqno, seqno + 1) << "one accounting change for the whole batch";
  EXPECT_EQ(l->client(f.client)->charged_tokens, s[0].charged_tokens + s[1].charged_tokens);
  EXPECT_EQ(l->worker(f.worker)->earned_tokens, s[0].charged_tokens + s[1].charged_tokens);
  EXPECT_EQ(l->worker(addr('f'))->earned_tokens, 15u);
  EXPECT_EQ(l->client(f.client)->reserved_tokens, 0u);
  EXPECT_TRUE(l->reservations().empty());
  EXPECT_TRUE(l->check_invariants().empty());
  EXPECT_THROW(l->settle_batch({{a.id, {}}}), LedgerError) << "settled already";
}

TEST(BillingLedger, StateSurvivesARestartAndOpenReservationsAreReleased) {
  LedgerFixture f;
  OnChainCommit chain;
  uint64_t charged = 0;
  {
    auto l = f.open_serving();
    l->update_client_chain(f.client, {10 * kTon, kTon, 0});
    auto t = l->reserve({.client = f.client, .worker = f.worker, .prompt_tokens = 10, .max_tokens = 100});
    charged = l->settle(t.id, {.prompt = 10, .completion = 50}).charged_tokens;
    chain = LedgerFixture::commit(*l);
    l->reserve({.client = f.client,
                .worker = f.worker,
                .prompt_tokens = 10,
                .max_tokens = 100});  // in flight when the proxy dies
  }
  auto l = ProxyLedger::open(f.options());
  EXPECT_FALSE(l->serving());
  EXPECT_TRUE(l->verify_against_chain(chain).ok);
  EXPECT_EQ(l->client(f.client)->charged_tokens, charged);
  EXPECT_EQ(l->client(f.client)->committed_tokens, charged);
  EXPECT_EQ(l->release_open_reservations(), 1u);
  EXPECT_EQ(l->client(f.client)->reserved_tokens, 0u);
  EXPECT_TRUE(l->check_invariants().empty());
}

TEST(BillingLedger, AnEditedRowOrAnotherKeyIsDetectedOnLoad) {
  LedgerFixture f;
  {
    auto l = f.open_serving();
    l->update_client_chain(f.client, {10 * kTon, kTon, 0});
    auto t = l->reserve({.client = f.client, .worker = f.worker, .prompt_tokens = 10, .max_tokens = 100});
    l->settle(t.id, {.prompt = 10, .completion = 50});
  }
  {
    LedgerFixture other;
    auto opts = f.options();
    opts.key = other.key;
    EXPECT_THROW(ProxyLedger::open(opts), LedgerTampered);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(f.file().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE clients SET charged_tokens = 1", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  try {
    ProxyLedger::open(f.options());
    FAIL() << "an edited row must be refused";
  } catch (const LedgerTampered& e) {
    EXPECT_NE(e.row().find("clients"), std::string::npos) << e.what();
  }
}

TEST(BillingLedger, ARestoredOlderCopyIsRefused) {
  LedgerFixture f;
  fs::path copy = f.dir / "old.sqlite";
  OnChainCommit latest;
  {
    auto l = f.open_serving();
    l->update_client_chain(f.client, {10 * kTon, kTon, 0});
    LedgerFixture::commit(*l);
  }
  copy_database(f.file(), copy);
  {
    auto l = ProxyLedger::open(f.options());
    ASSERT_TRUE(l->verify_against_chain({l->state().last_committed_seqno, l->state().last_committed_hash}).ok);
    auto t = l->reserve({.client = f.client, .worker = f.worker, .prompt_tokens = 10, .max_tokens = 100});
    l->settle(t.id, {.prompt = 10, .completion = 90});
    latest = LedgerFixture::commit(*l);
  }
  auto restored = ProxyLedger::open(f.options(copy));
  auto verdict = restored->verify_against_chain(latest);
  EXPECT_FALSE(verdict.ok);
  EXPECT_NE(verdict.reason.find("older copy"), std::string::npos) << verdict.reason;
  EXPECT_FALSE(restored->serving());
  EXPECT_THROW(restored->reserve({.client = f.client, .worker = f.worker, .prompt_tokens = 1, .max_tokens = 1}),
               LedgerRefused);
}

TEST(BillingLedger, TwoProcessesFromOneDatabaseAreCaughtAtTheirCommit) {
  LedgerFixture f;
  fs::path clone_file = f.dir / "clone.sqlite";
  OnChainCommit base;
  {
    auto l = f.open_serving();
    l->update_client_chain(f.client, {10 * kTon, kTon, 0});
    base = LedgerFixture::commit(*l);
  }
  copy_database(f.file(), clone_file);
  auto a = ProxyLedger::open(f.options());
  auto b = ProxyLedger::open(f.options(clone_file));
  ASSERT_TRUE(a->verify_against_chain(base).ok);
  ASSERT_TRUE(b->verify_against_chain(base).ok);
  auto ca = a->prepare_commit();
  auto cb = b->prepare_commit();
  EXPECT_EQ(ca.seqno, cb.seqno);
  EXPECT_NE(ca.hash, cb.hash) << "each session's random nonce makes the histories differ";
  // The chain accepted a's commit: b learns it is a clone.
  EXPECT_TRUE(a->verify_against_chain({ca.seqno, ca.hash}).ok);
  auto verdict = b->verify_against_chain({ca.seqno, ca.hash});
  EXPECT_FALSE(verdict.ok);
  EXPECT_NE(verdict.reason.find("cloned"), std::string::npos) << verdict.reason;
}

TEST(BillingLedger, OtherPricesThanTheBooksWereOpenedWithAreRefused) {
  LedgerFixture f;
  { f.open_serving(); }
  auto opts = f.options();
  opts.prices.price_per_token = 2000;
  EXPECT_THROW(ProxyLedger::open(opts), LedgerError);
  opts.prices.worker_fee_per_token = 5000;
  EXPECT_THROW(ProxyLedger::open(opts), std::invalid_argument) << "a fee above the price";
}

}  // namespace
}  // namespace chrysalis::billing

namespace chrysalis::billing {
namespace {

TEST(BillingLedger, AReservationShrinksToTheTokenizedPromptAndNeverGrows) {
  LedgerFixture f;
  auto l = f.open_serving();
  l->update_client_chain(f.client, {10 * kTon, kTon, 0});
  auto t = l->reserve({.client = f.client,
                       .worker = f.worker,
                       .prompt_tokens = 400,
                       .max_tokens = 100});  // 400: the byte bound of the prompt
  const uint64_t before = l->available_nano(f.client);
  l->shrink_reservation(t.id, 37, 100);  // the engine counted 37 tokens
  EXPECT_EQ(l->reservations().front().reserved_tokens, reservation_tokens(37, 100, 1000, f.prices));
  EXPECT_EQ(l->client(f.client)->reserved_tokens, reservation_tokens(37, 100, 1000, f.prices));
  EXPECT_GT(l->available_nano(f.client), before) << "the freed part can be reserved again";
  l->shrink_reservation(t.id, 1000, 100);  // a larger count never grows the hold
  EXPECT_EQ(l->reservations().front().reserved_tokens, reservation_tokens(37, 100, 1000, f.prices));
  l->shrink_reservation(999, 1, 1);  // unknown: ignored
  auto s = l->settle(t.id, {.prompt = 37, .completion = 100});
  EXPECT_EQ(s.charged_tokens, 137u);
  EXPECT_TRUE(l->check_invariants().empty());
  l.reset();
  auto reopened = f.open_serving();  // the signed rows and totals still agree on load
  EXPECT_TRUE(reopened->check_invariants().empty());
}

}  // namespace
}  // namespace chrysalis::billing
