#include "proxy/reputation_table.h"

#include <gtest/gtest.h>

#include "billing/owner_proof.h"
#include "common/hex.h"
#include "proxy/reputation_event.h"
#include "proxy/reputation_history_check.h"
#include "proxy/routing_state.h"
#include "receipts/merkle.h"
#include "receipts/receipt.h"
#include "receipts/reputation_proof.h"
#include "ton/wallet/wallet_v4r2.h"

namespace chrysalis::proxy {
namespace {

std::string hex_key(const ton::Ed25519Key& k) { return to_hex(k.public_key()); }

// The receipt a worker signs for `request_id`, ending with `outcome` and answering `spot_hash`.
proto::Receipt signed_receipt(const ton::Ed25519Key& worker, const std::string& request_id,
                              const std::string& outcome = "stop", const std::string& spot_hash = "same") {
  proto::WorkerReceipt w;
  w.set_request_id(request_id);
  w.set_worker_key(std::string(worker.public_key().begin(), worker.public_key().end()));
  w.set_outcome(outcome);
  w.set_spot_hash(spot_hash);
  w.mutable_usage()->set_completion_tokens(12);
  return receipts::sign_worker_part(w, worker);
}

nlohmann::json success(const ton::Ed25519Key& worker, const std::string& rid, const std::string& proof = "") {
  auto r = signed_receipt(worker, rid);
  return outcome_event(rid, hex_key(worker), Outcome::Success, 120, 30, &r, proof);
}

ReputationTable sample(const ton::Ed25519Key& a, const ton::Ed25519Key& b) {
  ReputationTable t;
  t.record(hex_key(a), "m", success(a, "r1"));
  auto failed = signed_receipt(a, "r2", "engine_error");
  t.record(hex_key(a), "m", outcome_event("r2", hex_key(a), Outcome::ErrorAfterFirstToken, -1, 0, &failed, ""));
  t.record(hex_key(b), "m", outcome_event("r3", hex_key(b), Outcome::Timeout, -1, 0, nullptr, ""));
  std::vector<proto::Receipt> runs = {signed_receipt(b, "r4", "stop", "wrong"), signed_receipt(a, "r4"),
                                      signed_receipt(a, "r4")};
  t.record(hex_key(b), "m", spot_event("r4", hex_key(b), false, 0, runs, ""));
  t.record(hex_key(b), "other", success(b, "r5"));
  return t;
}

struct Keys {
  ton::Ed25519Key proxy = ton::Ed25519Key::generate(), a = ton::Ed25519Key::generate(),
                  b = ton::Ed25519Key::generate();
};

nlohmann::json table_with_histories(const ReputationTable& t, const ton::Ed25519Key& proxy) {
  std::map<ReputationTable::Id, ReputationTable::History> histories;
  auto table = t.signed_table(proxy, 1234, &histories);
  ReputationTable::add_histories(table, histories, 64);
  return table;
}

TEST(ReputationTable, EveryEntryProvesItsCountersAgainstTheSignedRoot) {
  Keys k;
  auto table = sample(k.a, k.b).signed_table(k.proxy, 1234);
  EXPECT_EQ(table["count"], 3);
  EXPECT_EQ(receipts::reputation_table_problem(table), "");
  for (const auto& e : table["entries"]) {
    if (e["subject"] != hex_key(k.a)) continue;
    EXPECT_EQ(e["counters"]["requests"], 2);
    EXPECT_EQ(e["counters"]["mid_stream_errors"], 1);
    EXPECT_EQ(e["counters"]["ttft_ms"][1], 1);       // 100 < 120 <= 250
    EXPECT_EQ(e["counters"]["tokens_per_s"][4], 1);  // 25 < 30 <= 50
    EXPECT_EQ(e["counters"]["events"], 2);
  }
  // Only one model's entries: the proofs still lead to the whole root.
  auto only = ReputationTable::only_model(table, "m");
  EXPECT_EQ(only["entries"].size(), 2u);
  EXPECT_EQ(receipts::reputation_table_problem(only), "");
}

TEST(ReputationTable, AChangedCounterOrAForeignKeyIsNamed) {
  Keys k;
  auto table = sample(k.a, k.b).signed_table(k.proxy, 1234);
  auto edited = table;
  edited["entries"][0]["counters"]["requests"] = 0;
  auto problem = receipts::reputation_table_problem(edited);
  EXPECT_NE(problem.find("entries[0] (" + edited["entries"][0]["subject"].get<std::string>() +
                         "): its counters do not lead to the signed root"),
            std::string::npos)
      << problem;
  auto other = ton::Ed25519Key::generate();
  auto resigned = sample(k.a, k.b).signed_table(other, 1234);
  problem = receipts::reputation_table_problem(resigned, hex_key(k.proxy));
  EXPECT_NE(problem.find("signed by another key"), std::string::npos) << problem;
  auto late = table;
  late["generated_ms"] = 9999;  // the signature covers the time
  EXPECT_NE(receipts::reputation_table_problem(late).find("signature"), std::string::npos);
  auto twice = table;
  twice["entries"][1]["index"] = 0;
  EXPECT_NE(receipts::reputation_table_problem(twice).find("index"), std::string::npos);
}

TEST(ReputationTable, EveryCounterReplaysFromItsEventsAndTheirReceipts) {
  Keys k;
  auto table = table_with_histories(sample(k.a, k.b), k.proxy);
  ASSERT_EQ(receipts::reputation_table_problem(table), "");
  auto check = check_histories(table, hex_key(k.proxy));
  EXPECT_EQ(check.problem, "");
  EXPECT_EQ(check.entries, 3u);
  EXPECT_EQ(check.events, 5u);
  EXPECT_EQ(check.receipts, 4u);    // two successes, a signed error, a spot verdict
  EXPECT_EQ(check.proxy_word, 1u);  // the timeout: the worker signed nothing
}

// Finds the entry about `subject` and `model` in a served table.
nlohmann::json& entry_of(nlohmann::json& table, const std::string& subject, const std::string& model = "m") {
  for (auto& e : table["entries"])
    if (e["subject"] == subject && e["model"] == model) return e;
  throw std::runtime_error("no such entry");
}

TEST(ReputationTable, AHistoryThatDoesNotSupportItsCountersIsNamed) {
  Keys k;
  auto table = table_with_histories(sample(k.a, k.b), k.proxy);
  std::string a = hex_key(k.a), b = hex_key(k.b), proxy = hex_key(k.proxy);
  auto problem_of = [&](const std::function<void(nlohmann::json&)>& edit) {
    auto t = table;
    edit(t);
    return check_histories(t, proxy).problem;
  };
  // A dropped event (a failure hidden from the replay) no longer gives the signed counters.
  auto dropped = problem_of([&](auto& t) { entry_of(t, a)["history"]["events"].erase(1); });
  EXPECT_NE(dropped.find("its events do not give its signed counters (mid_stream_errors 0 vs signed 1)"),
            std::string::npos)
      << dropped;
  // A success with its receipt taken away.
  EXPECT_NE(problem_of([&](auto& t) { entry_of(t, a)["history"]["events"][0]["receipt"] = nullptr; })
                .find("a success without the worker's receipt"),
            std::string::npos);
  // A worker's finished answer counted as a failure.
  EXPECT_NE(problem_of([&](auto& t) {
              auto finished = signed_receipt(k.a, "r2");
              entry_of(t, a)["history"]["events"][1]["receipt"] = receipt_evidence(finished);
            }).find("but the worker signed a finished answer ('stop')"),
            std::string::npos);
  // Another worker's receipt under this entry.
  EXPECT_NE(problem_of([&](auto& t) {
              auto foreign = signed_receipt(k.b, "r1");
              entry_of(t, a)["history"]["events"][0]["receipt"] = receipt_evidence(foreign);
            }).find("receipt: worker_key"),
            std::string::npos);
  // A receipt for another request.
  EXPECT_NE(problem_of([&](auto& t) { entry_of(t, a)["history"]["events"][0]["request_id"] = "r9"; })
                .find("request_id"),
            std::string::npos);
  // A spot-check verdict the signed hashes do not give.
  EXPECT_NE(problem_of([&](auto& t) { entry_of(t, b)["history"]["events"][1]["agreed"] = true; })
                .find("but the signed spot hashes say otherwise"),
            std::string::npos);
  // An event about a worker that is not the entry's.
  EXPECT_NE(problem_of([&](auto& t) { entry_of(t, b)["history"]["events"][0]["worker_key"] = a; })
                .find("is not this entry's worker"),
            std::string::npos);
}

TEST(ReputationTable, AnOwnersEventsCarryTheProofThatLinksEachKeyToIt) {
  Keys k;
  auto wallet = ton::Ed25519Key::generate();
  std::string owner = ton::WalletV4R2(wallet.public_key(), 0).address().to_raw();
  auto proof = billing::make_owner_proof(wallet, 0, hex_key(k.a), hex_key(k.proxy)).SerializeAsString();
  RoutingState routing(RoutingConfig{}, "");
  routing.set_owner(hex_key(k.a), owner, proof);
  auto r = signed_receipt(k.a, "r1");
  RoutingState::Answer answer{.request_id = "r1", .ttft_ms = 80, .generation_ms = 400, .completion_tokens = 12,
                              .receipt = &r};
  routing.record_answer(hex_key(k.a), "m", answer);
  routing.record(hex_key(k.a), "m", Outcome::Timeout, "r2", nullptr);
  auto table = table_with_histories(routing.table(), k.proxy);
  auto check = check_histories(table, hex_key(k.proxy));
  EXPECT_EQ(check.problem, "");
  EXPECT_EQ(check.events, 2u);
  EXPECT_EQ(entry_of(table, "owner:" + owner)["counters"]["successes"], 1);

  // The proof is for this proxy's connection: under another proxy's key it names nothing.
  EXPECT_NE(check_histories(table, hex_key(k.b)).problem.find("owner_proof"), std::string::npos);
  auto unproven = table;
  entry_of(unproven, "owner:" + owner)["history"]["events"][0]["owner_proof"] = "";
  EXPECT_NE(check_histories(unproven, hex_key(k.proxy)).problem.find("owner_proof: missing"), std::string::npos);
}

TEST(ReputationTable, OldEventsFoldIntoTheBaseAndTheReplayStillHolds) {
  Keys k;
  ReputationTable t;
  for (int i = 0; i < 40; ++i) t.record(hex_key(k.a), "m", success(k.a, "r" + std::to_string(i)));
  auto table = table_with_histories(t, k.proxy);
  auto& e = entry_of(table, hex_key(k.a));
  EXPECT_EQ(e["history"]["events"].size(), ReputationTable::kEventsPerEntry);
  EXPECT_EQ(e["history"]["base"]["events"], 40 - ReputationTable::kEventsPerEntry);
  EXPECT_EQ(e["counters"]["events"], 40);
  auto check = check_histories(table, hex_key(k.proxy));
  EXPECT_EQ(check.problem, "");
  EXPECT_EQ(check.events, ReputationTable::kEventsPerEntry);
  EXPECT_EQ(t.stats()["events_kept"], ReputationTable::kEventsPerEntry);

  // Counters saved before events existed load, and start their chain there.
  auto old = nlohmann::json::parse(
      R"({"requests":3,"successes":3,"early_errors":0,"timeouts":0,"mid_stream_errors":0,"spot_agreements":0,)"
      R"("spot_disagreements":0,"ttft_ms":[0,0,0,0,0,0,0,0],"tokens_per_s":[0,0,0,0,0,0,0,0]})");
  auto restored = ReputationCounters::from_json(old);
  ASSERT_TRUE(restored);
  ReputationTable t2;
  t2.restore(hex_key(k.a), "m", *restored);
  t2.record(hex_key(k.a), "m", success(k.a, "r-after"));
  auto table2 = table_with_histories(t2, k.proxy);
  EXPECT_EQ(entry_of(table2, hex_key(k.a))["counters"]["requests"], 4);
  EXPECT_EQ(check_histories(table2, hex_key(k.proxy)).problem, "");
}

TEST(ReputationTable, ANewKeyUnderTheSameOwnerKeepsTheOwnersBadRecord) {
  RoutingState routing(RoutingConfig{}, "");
  routing.set_owner("key-1", "0:owner");
  for (int i = 0; i < 12; ++i) routing.record("key-1", "m", Outcome::ErrorAfterFirstToken);
  // The worker comes back with a new TLS key; its owner's wallet signs for it again.
  routing.set_owner("key-2", "0:owner");
  WorkerCandidate fresh;
  fresh.model = "m";
  routing.describe(fresh, "key-2", 1, "");
  WorkerCandidate stranger;
  stranger.model = "m";
  routing.describe(stranger, "key-3", 1, "");  // no owner: a new key starts on trial, trusted
  EXPECT_LT(fresh.trust, 0.5);
  EXPECT_FALSE(fresh.trial);  // the owner has history: no fresh trial share either
  EXPECT_GT(stranger.trust, 0.9);
  EXPECT_TRUE(stranger.trial);
  EXPECT_EQ(routing.subject_of("key-2"), "owner:0:owner");
  // The published counters are the owner's, whichever key served; an answer its worker did not
  // sign a receipt for is no success.
  routing.record("key-2", "m", Outcome::Success);
  const auto* counters = routing.table().find("owner:0:owner", "m");
  ASSERT_NE(counters, nullptr);
  EXPECT_EQ(counters->requests, 13u);
  EXPECT_EQ(counters->successes, 0u);
  EXPECT_EQ(counters->mid_stream_errors, 13u);
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

}  // namespace
}  // namespace chrysalis::proxy
