// The proxy's receipt book on a real SQLite file: each commit binds the tree of the receipts
// recorded since the last one, a proof from any kept receipt leads to the newest commit the chain
// holds (through every later commit), it survives a restart, pruning keeps the newest, and a
// changed tree on disk is caught at open, a changed leaf by the proofs that cross it.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "billing/proxy_ledger.h"
#include "crypto/sha256.h"
#include "support/billing_values.h"
#include "support/temp_dir.h"

namespace chrysalis::billing {
namespace {

using Status = ReceiptInclusion::Status;

using test::addr;
std::string leaf(int i) { return crypto::sha256("receipt " + std::to_string(i)); }
std::string rid(int i) { return "rid-" + std::to_string(i); }

struct ReceiptBook {
  test::TempDir tmp{"receipt-book"};
  ton::Ed25519Key key = ton::Ed25519Key::generate();
  uint64_t kept = 200000;
  LedgerOptions options() const {
    LedgerOptions o{tmp / "books.sqlite", key, Prices{.price_per_token = 1000, .worker_fee_per_token = 600},
                    ton::Address::parse(addr('a')), ton::Address::parse(addr('b'))};
    o.receipts_kept = kept;
    return o;
  }
  std::unique_ptr<ProxyLedger> open() {
    auto l = ProxyLedger::open(options());
    EXPECT_TRUE(l->verify_against_chain({l->state().last_committed_seqno, l->state().last_committed_hash}).ok);
    return l;
  }
  // Commits and lets "the chain" confirm it; returns what the chain now holds.
  static OnChainCommit commit(ProxyLedger& l) {
    auto req = l.prepare_commit();
    EXPECT_TRUE(l.verify_against_chain({req.seqno, req.hash}).ok);
    return {req.seqno, req.hash};
  }
  void sql(const std::string& statement) const {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((tmp / "books.sqlite").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
};

// The proof for request i, checked as a verifier does: it leads from the leaf to `chain`.
void expect_proven(ProxyLedger& l, int i, const OnChainCommit& chain) {
  auto inc = l.receipt_inclusion(rid(i));
  ASSERT_EQ(inc.status, Status::proven) << rid(i);
  std::string parse_error;
  auto again = receipts::proof_from_json(receipts::proof_json(inc.proof), parse_error);
  ASSERT_TRUE(again) << "the JSON form reads back";
  std::string error;
  auto hash = receipts::committed_hash_of(*again, leaf(i), error);
  ASSERT_TRUE(hash) << rid(i) << ": " << error;
  EXPECT_EQ(again->chain_seqno, chain.seqno);
  EXPECT_EQ(*hash, std::string(chain.hash.begin(), chain.hash.end()));
}

TEST(BillingReceiptBook, ReceiptsAreProvenUpToTheNewestCommitOnChain) {
  ReceiptBook b;
  auto l = b.open();
  EXPECT_EQ(l->receipt_inclusion(rid(0)).status, Status::unknown);
  for (int i = 0; i < 5; ++i) l->record_receipt(rid(i), leaf(i));
  EXPECT_EQ(l->receipts_waiting(), 5u);
  EXPECT_EQ(l->receipt_inclusion(rid(0)).status, Status::waiting);
  auto first = ReceiptBook::commit(*l);
  EXPECT_EQ(l->receipts_waiting(), 0u);
  for (int i = 0; i < 5; ++i) expect_proven(*l, i, first);
  EXPECT_TRUE(l->receipt_inclusion(rid(2)).proof.later.empty());

  // Three more, an empty commit, then a commit prepared but not yet on chain.
  for (int i = 5; i < 8; ++i) l->record_receipt(rid(i), leaf(i));
  auto second = ReceiptBook::commit(*l);
  auto third = ReceiptBook::commit(*l);
  EXPECT_GT(third.seqno, second.seqno);
  for (int i = 0; i < 8; ++i) expect_proven(*l, i, third);
  EXPECT_EQ(l->receipt_inclusion(rid(0)).proof.later.size(), 2u) << "the first tree walks through two later commits";
  l->record_receipt(rid(8), leaf(8));
  auto pending = l->prepare_commit();
  auto inc = l->receipt_inclusion(rid(8));
  EXPECT_EQ(inc.status, Status::unconfirmed);
  EXPECT_EQ(inc.commit_seqno, pending.seqno);
  EXPECT_EQ(inc.chain_seqno, third.seqno);
  expect_proven(*l, 0, third);

  // A proof for another leaf, or with its tree changed, does not lead to the chain's hash.
  auto proof = l->receipt_inclusion(rid(3)).proof;
  std::string error;
  EXPECT_FALSE(receipts::committed_hash_of(proof, leaf(4), error));
  EXPECT_NE(error.find("leaf"), std::string::npos) << error;
  proof.later.at(0).count += 1;
  EXPECT_FALSE(receipts::committed_hash_of(proof, leaf(3), error));
  EXPECT_NE(error.find("chain_hash"), std::string::npos) << error;
}

TEST(BillingReceiptBook, TheBookSurvivesARestartAndItsLinksContinue) {
  ReceiptBook b;
  OnChainCommit chain;
  {
    auto l = b.open();
    for (int i = 0; i < 3; ++i) l->record_receipt(rid(i), leaf(i));
    chain = ReceiptBook::commit(*l);
    l->record_receipt(rid(3), leaf(3));  // recorded, the process stops before the commit
  }
  auto l = b.open();
  EXPECT_EQ(l->receipts_waiting(), 1u) << "a recorded leaf waits for the next commit across a restart";
  expect_proven(*l, 1, chain);
  l->record_receipt(rid(4), leaf(4));
  auto next = ReceiptBook::commit(*l);
  for (int i = 0; i < 5; ++i) expect_proven(*l, i, next);
  EXPECT_EQ(l->receipts_stats()["stored"], 5);
}

TEST(BillingReceiptBook, PruningKeepsTheNewestAndTheirProofs) {
  ReceiptBook b;
  b.kept = 4;
  auto l = b.open();
  OnChainCommit chain;
  for (int i = 0; i < 12; ++i) {
    l->record_receipt(rid(i), leaf(i));
    if (i % 2 == 1) chain = ReceiptBook::commit(*l);
  }
  chain = ReceiptBook::commit(*l);  // prunes what the last commits left over the bound
  EXPECT_LE(l->receipts_stats()["stored"].get<uint64_t>(), 4u + 4u / 10u + 2u);
  EXPECT_EQ(l->receipt_inclusion(rid(0)).status, Status::unknown) << "the oldest are gone";
  for (int i = 9; i < 12; ++i) expect_proven(*l, i, chain);
}

TEST(BillingReceiptBook, LeavesWaitingForACommitAreBounded) {
  ReceiptBook b;
  b.kept = 3;
  auto l = b.open();
  for (int i = 0; i < 5; ++i) l->record_receipt(rid(i), leaf(i));  // no commit lands meanwhile
  EXPECT_EQ(l->receipts_waiting(), 3u);
  EXPECT_EQ(l->receipts_stats()["not_recorded_waiting_full"], 2);
  EXPECT_EQ(l->receipt_inclusion(rid(4)).status, Status::unknown) << "over the bound: not kept";
  auto chain = ReceiptBook::commit(*l);
  expect_proven(*l, 2, chain);
  l->record_receipt(rid(5), leaf(5));  // room again once the commit took them
  EXPECT_EQ(l->receipts_waiting(), 1u);
}

TEST(BillingReceiptBook, AChangedTreeOnDiskIsCaughtAtOpen) {
  ReceiptBook b;
  {
    auto l = b.open();
    for (int i = 0; i < 3; ++i) l->record_receipt(rid(i), leaf(i));
    ReceiptBook::commit(*l);
  }
  b.sql("UPDATE receipt_commits SET root = randomblob(32)");
  try {
    ProxyLedger::open(b.options());
    FAIL() << "a changed tree was accepted";
  } catch (const LedgerTampered& e) {
    EXPECT_NE(std::string(e.what()).find("receipt_commits"), std::string::npos) << e.what();
  }
}

TEST(BillingReceiptBook, AChangedLeafOnDiskFailsTheProofsThatCrossIt) {
  ReceiptBook b;
  {
    auto l = b.open();
    for (int i = 0; i < 4; ++i) l->record_receipt(rid(i), leaf(i));
    ReceiptBook::commit(*l);
  }
  b.sql("UPDATE receipt_leaves SET leaf = randomblob(32) WHERE request_id = 'rid-1'");
  auto l = b.open();
  std::string error;
  // Its own proof now names another leaf than the receipt the client holds.
  EXPECT_FALSE(receipts::committed_hash_of(l->receipt_inclusion(rid(1)).proof, leaf(1), error));
  EXPECT_NE(error.find("leaf"), std::string::npos) << error;
  // Its sibling's path carries the changed leaf, so it no longer reaches the committed root.
  EXPECT_FALSE(receipts::committed_hash_of(l->receipt_inclusion(rid(0)).proof, leaf(0), error));
  EXPECT_NE(error.find("merkle_path"), std::string::npos) << error;
}

}  // namespace
}  // namespace chrysalis::billing
