#include "proxy/reputation_table.h"

#include <gtest/gtest.h>

#include "proxy/routing_state.h"
#include "receipts/merkle.h"
#include "receipts/reputation_proof.h"

namespace chrysalis::proxy {
namespace {

ReputationTable sample() {
  ReputationTable t;
  t.record("owner:0:aa", "m", Outcome::Success);
  t.record("owner:0:aa", "m", Outcome::ErrorAfterFirstToken);
  t.record_speed("owner:0:aa", "m", 120, 30);
  t.record("bbbb", "m", Outcome::Timeout);
  t.record_spot_check("bbbb", "m", false);
  t.record("owner:0:cc", "other", Outcome::Success);
  return t;
}

TEST(ReputationTable, EveryEntryProvesItsCountersAgainstTheSignedRoot) {
  auto key = ton::Ed25519Key::generate();
  auto table = sample().signed_table(key, 1234);
  EXPECT_EQ(table["count"], 3);
  EXPECT_EQ(receipts::reputation_table_problem(table), "");
  auto a = table["entries"][1];  // (owner:0:aa, m)
  EXPECT_EQ(a["subject"], "owner:0:aa");
  EXPECT_EQ(a["counters"]["requests"], 2);
  EXPECT_EQ(a["counters"]["mid_stream_errors"], 1);
  EXPECT_EQ(a["counters"]["ttft_ms"][1], 1);       // 100 < 120 <= 250
  EXPECT_EQ(a["counters"]["tokens_per_s"][4], 1);  // 25 < 30 <= 50

  // Only one model's entries: the proofs still lead to the whole root.
  auto only = ReputationTable::only_model(table, "m");
  EXPECT_EQ(only["entries"].size(), 2u);
  EXPECT_EQ(receipts::reputation_table_problem(only), "");
}

TEST(ReputationTable, AChangedCounterOrAForeignKeyIsNamed) {
  auto key = ton::Ed25519Key::generate();
  auto table = sample().signed_table(key, 1234);
  auto edited = table;
  edited["entries"][0]["counters"]["timeouts"] = 0;  // bbbb's timeout erased
  auto problem = receipts::reputation_table_problem(edited);
  EXPECT_NE(problem.find("entries[0] (bbbb): its counters do not lead to the signed root"), std::string::npos)
      << problem;
  auto other = ton::Ed25519Key::generate();
  auto resigned = sample().signed_table(other, 1234);
  std::string ours = table["proxy_key"];
  problem = receipts::reputation_table_problem(resigned, ours);
  EXPECT_NE(problem.find("signed by another key"), std::string::npos) << problem;
  auto late = table;
  late["generated_ms"] = 9999;  // the signature covers the time
  EXPECT_NE(receipts::reputation_table_problem(late).find("signature"), std::string::npos);
  auto twice = table;
  twice["entries"][1]["index"] = 0;
  EXPECT_NE(receipts::reputation_table_problem(twice).find("index"), std::string::npos);
}

TEST(ReputationTable, AllPathsAtOnceAreThePathsOneByOne) {
  for (std::size_t n = 1; n <= 21; ++n) {
    std::vector<std::string> leaves;
    for (std::size_t i = 0; i < n; ++i) leaves.push_back("leaf" + std::to_string(i));
    auto all = receipts::merkle_all_paths(leaves);
    auto root = receipts::merkle_root(leaves);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(all[i], receipts::merkle_path(leaves, i)) << n << " " << i;
      EXPECT_TRUE(receipts::merkle_path_holds(leaves[i], i, n, all[i], root));
    }
  }
}

TEST(ReputationTable, ANewKeyUnderTheSameOwnerKeepsTheOwnersBadRecord) {
  RoutingState routing(RoutingConfig{}, "");
  routing.set_owner("key-1", "0:owner");
  for (int i = 0; i < 12; ++i) routing.record("key-1", "m", Outcome::ErrorAfterFirstToken);
  // The worker comes back with a new TLS key; its owner's wallet signs for it again.
  routing.set_owner("key-2", "0:owner");
  WorkerCandidate fresh;
  fresh.model = "m";
  routing.describe(fresh, "key-2", 1, 0);
  WorkerCandidate stranger;
  stranger.model = "m";
  routing.describe(stranger, "key-3", 1, 0);  // no owner: a new key starts on trial, trusted
  EXPECT_LT(fresh.trust, 0.5);
  EXPECT_FALSE(fresh.trial);  // the owner has history: no fresh trial share either
  EXPECT_GT(stranger.trust, 0.9);
  EXPECT_TRUE(stranger.trial);
  EXPECT_EQ(routing.subject_of("key-2"), "owner:0:owner");
  // The published counters are the owner's, whichever key served.
  routing.record("key-2", "m", Outcome::Success);
  const auto& entries = routing.table().entries();
  auto it = entries.find({"owner:0:owner", "m"});
  ASSERT_NE(it, entries.end());
  EXPECT_EQ(it->second.requests, 13u);
  EXPECT_EQ(it->second.mid_stream_errors, 12u);
}

}  // namespace
}  // namespace chrysalis::proxy
