// The worker's payout book: only payouts its worker contract would accept are kept, amounts never
// go down (the proxy is dropped when they do), claims are due by nanoTON, and state survives a restart.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "billing/payout_book.h"
#include "support/temp_dir.h"
#include "ton/cells/encoding.h"
#include "ton/contracts/chrysalis_contracts.h"
#include "ton/contracts/contract_signed.h"

namespace chrysalis::billing {
namespace {

namespace fs = std::filesystem;
namespace contracts = ton::contracts;

ton::Address addr(char c) { return ton::Address::parse("0:" + std::string(64, c)); }

struct PayoutFixture {
  test::TempDir tmp{"payouts"};
  fs::path file = tmp / "payouts.json";
  ton::Ed25519Key proxy = ton::Ed25519Key::generate();
  ton::Address root = addr('a'), worker = addr('e');
  ton::CellRef payout(uint64_t tokens, std::optional<ton::Address> target = {},
                      uint32_t op = contracts::op::kWorkerPayout, const ton::Ed25519Key* key = nullptr,
                      std::optional<ton::Address> network = {}) const {
    contracts::SignedPayload p{op, target.value_or(worker), network.value_or(root), tokens, {}};
    return contracts::make_signed_body(p, 7, key ? *key : proxy);
  }
  std::string id() const { return ton::to_hex(proxy.public_key()); }
};

TEST(BillingPayoutBook, KeepsTheLargestValidPayoutAndComputesClaimsInNanoTon) {
  PayoutFixture f;
  PayoutBook book(f.root, 600, f.file);
  EXPECT_EQ(book.accept(f.proxy.public_key(), f.worker, f.payout(100)).verdict, PayoutBook::Verdict::Accepted);
  EXPECT_EQ(book.accept(f.proxy.public_key(), f.worker, f.payout(100)).verdict, PayoutBook::Verdict::Unchanged);
  EXPECT_EQ(book.accept(f.proxy.public_key(), f.worker, f.payout(250)).verdict, PayoutBook::Verdict::Accepted);
  EXPECT_EQ(book.unclaimed_nano(f.id()), 250u * 600);
  EXPECT_TRUE(book.due(150'001).empty()) << "threshold is in nanoTON, not tokens";
  EXPECT_EQ(book.due(150'000), std::vector<std::string>{f.id()});
  book.mark_claimed(f.id(), 250);
  EXPECT_EQ(book.unclaimed_nano(f.id()), 0u);
  EXPECT_TRUE(book.due(1).empty());
  EXPECT_THROW(book.mark_claimed(f.id(), 251), std::invalid_argument);
}

TEST(BillingPayoutBook, RefusesWhatTheWorkerContractWouldRefuse) {
  PayoutFixture f;
  PayoutBook book(f.root, 600, {});
  auto other = ton::Ed25519Key::generate();
  auto refused = [&](const ton::CellRef& body) { return book.accept(f.proxy.public_key(), f.worker, body); };
  auto r = refused(f.payout(10, addr('9')));
  EXPECT_EQ(r.verdict, PayoutBook::Verdict::Refused);
  EXPECT_NE(r.reason.find("another worker contract"), std::string::npos) << r.reason;
  EXPECT_NE(refused(f.payout(10, {}, contracts::op::kWorkerPayout, &other)).reason.find("signature"),
            std::string::npos);
  EXPECT_NE(refused(f.payout(10, {}, contracts::op::kClientCharge)).reason.find("not a worker payout"),
            std::string::npos);
  EXPECT_NE(refused(f.payout(10, {}, contracts::op::kWorkerPayout, nullptr, addr('8'))).reason.find("another network"),
            std::string::npos);
  ton::CellBuilder junk;
  junk.store_uint(contracts::op::kWorkerPayout, 32);
  EXPECT_NE(refused(junk.end_cell()).reason.find("malformed"), std::string::npos);
  EXPECT_FALSE(book.record(f.id())) << "nothing refused is kept";
}

TEST(BillingPayoutBook, AProxyWhoseSignedAmountGoesDownIsDroppedForGood) {
  PayoutFixture f;
  PayoutBook book(f.root, 600, f.file);
  book.accept(f.proxy.public_key(), f.worker, f.payout(500));
  auto r = book.accept(f.proxy.public_key(), f.worker, f.payout(400));
  EXPECT_EQ(r.verdict, PayoutBook::Verdict::Dropped);
  EXPECT_NE(r.reason.find("went down from 500 to 400"), std::string::npos) << r.reason;
  EXPECT_EQ(book.accept(f.proxy.public_key(), f.worker, f.payout(900)).verdict, PayoutBook::Verdict::Dropped);
  EXPECT_EQ(book.record(f.id())->signed_tokens, 500u) << "the best signed amount is kept";
  EXPECT_EQ(book.due(1), std::vector<std::string>{f.id()}) << "and claimed from the dropped proxy";
  book.mark_claimed(f.id(), 500);
  EXPECT_TRUE(book.due(1).empty());
}

TEST(BillingPayoutBook, StateSurvivesARestart) {
  PayoutFixture f;
  {
    PayoutBook book(f.root, 600, f.file);
    book.accept(f.proxy.public_key(), f.worker, f.payout(300));
    book.mark_claimed(f.id(), 100);
  }
  PayoutBook again(f.root, 600, f.file);
  auto rec = again.record(f.id());
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->signed_tokens, 300u);
  EXPECT_EQ(rec->claimed_tokens, 100u);
  EXPECT_FALSE(rec->signed_body_boc.empty());
  EXPECT_EQ(again.accept(f.proxy.public_key(), f.worker, f.payout(200)).verdict, PayoutBook::Verdict::Dropped)
      << "a lower amount after a restart is still caught";
  { std::ofstream(f.file) << "not json"; }
  EXPECT_THROW(PayoutBook(f.root, 600, f.file), std::runtime_error);
}

}  // namespace
}  // namespace chrysalis::billing

namespace chrysalis::billing {
namespace {

// After the network's params change a proxy settles through a new contract, so our worker
// contract with it is a new one too: its amounts start again from zero. That is not a proxy going
// back (it is not dropped), and what it signed for the old worker contract stays claimable.
TEST(BillingPayoutBook, ANewWorkerContractStartsAfreshAndTheOldOneStaysOwed) {
  PayoutFixture f;
  PayoutBook book(f.root, 600, f.file);
  ASSERT_EQ(book.accept(f.proxy.public_key(), f.worker, f.payout(100)).verdict, PayoutBook::Verdict::Accepted);
  auto moved = addr('f');
  auto r = book.accept(f.proxy.public_key(), moved, f.payout(3, moved));
  EXPECT_EQ(r.verdict, PayoutBook::Verdict::Accepted) << r.reason;
  EXPECT_EQ(book.record(f.id())->worker_contract, moved.to_raw());
  EXPECT_EQ(book.record(f.id())->signed_tokens, 3u);
  const std::string old_id = f.id() + "@" + f.worker.to_raw();
  ASSERT_TRUE(book.record(old_id));
  EXPECT_EQ(book.record(old_id)->signed_tokens, 100u);
  auto due = book.due(1);
  EXPECT_EQ(due.size(), 2u);
  // Both survive a restart.
  PayoutBook again(f.root, 600, f.file);
  EXPECT_EQ(again.unclaimed_nano(old_id), 100u * 600);
  EXPECT_EQ(again.unclaimed_nano(f.id()), 3u * 600);
  // Going down on the new contract is still a proxy going back.
  EXPECT_EQ(book.accept(f.proxy.public_key(), moved, f.payout(2, moved)).verdict, PayoutBook::Verdict::Dropped);
}

}  // namespace
}  // namespace chrysalis::billing
