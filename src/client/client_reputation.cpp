// The client's check of a proxy's reputation table (receipts/reputation_proof.h) before it shows
// the proxy's reputation figures: the table must be signed by the proxy this client is connected to
// (the key its TLS session proved), every entry must lead to the signed root, and every entry's
// recent events must replay, receipt by receipt, to its counters.
#include <spdlog/spdlog.h>

#include "client/client_node.h"
#include "billing/committed_leaf.h"
#include "client/client_billing.h"
#include "common/hex.h"
#include "common/json_bounded.h"
#include "common/time.h"
#include "proxy/reputation_history_check.h"
#include "receipts/receipt_proof.h"
#include "receipts/reputation_proof.h"

namespace chrysalis::client {

namespace asio = boost::asio;

asio::awaitable<ClientNode::CheckedReputation> ClientNode::checked_reputation(std::shared_ptr<net::Connection> conn,
                                                                             std::string model) {
  const auto cache_key = std::make_pair(conn->id(), model);
  if (auto it = checked_tables_.find(cache_key);
      it != checked_tables_.end() && steady_now_us() - it->second.first < kCheckedTableTtlUs)
    co_return it->second.second;
  CheckedReputation out = co_await fetch_and_check(conn, model);
  if (checked_tables_.size() >= kMaxCheckedTables) checked_tables_.clear();
  checked_tables_[cache_key] = {steady_now_us(), out};
  co_return out;
}

// The proxy's table as it sends it (null: no answer within 5 s).
asio::awaitable<nlohmann::json> ClientNode::fetch_table(std::shared_ptr<net::Connection> conn, std::string model) {
  auto [stream, queue] = pool_->open_stream(conn);
  proto::Frame query;
  query.set_stream(stream);
  query.mutable_reputation_query()->set_model(model);
  conn->send(query);
  auto event = co_await queue->pop(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  pool_->close_stream(conn->id(), stream);
  if (!event || event->connection_lost || !event->frame.has_reputation_reply()) co_return nlohmann::json();
  co_return parse_json_bounded(event->frame.reputation_reply().table()).value;
}

asio::awaitable<ClientNode::CheckedReputation> ClientNode::fetch_and_check(std::shared_ptr<net::Connection> conn,
                                                                          std::string model) {
  CheckedReputation out;
  auto table = co_await fetch_table(conn, model);
  if (table.is_null()) {
    out.problem = "the proxy sent no reputation table";
    co_return out;
  }
  out.problem = receipts::reputation_table_problem(table, conn->peer_identity().public_key_hex);
  if (!out.problem.empty()) {
    metrics_.add("reputation_tables_rejected", {});
    spdlog::warn("proxy {}'s reputation table does not verify: {}", conn->peer_node_id(), out.problem);
    co_return out;
  }
  // Every listed entry's recent events, with the workers' receipts, must replay to its counters.
  auto history = proxy::check_histories(table, conn->peer_identity().public_key_hex);
  if (!history.problem.empty()) {
    out.problem = "history: " + history.problem;
    metrics_.add("reputation_tables_rejected", {});
    spdlog::warn("proxy {}'s reputation history does not support its table: {}", conn->peer_node_id(), out.problem);
    co_return out;
  }
  out.history = history.json();
  out.verified = true;
  out.root = table.value("root", "");
  if (table.contains("committed")) {
    nlohmann::json committed = table["committed"];
    out.committed = co_await check_committed_table(std::move(committed), conn->peer_identity().public_key_hex);
    // A commit may land between the proxy's proof and this read: once, ask for a fresh proof.
    if (out.committed.value("chain_ahead", false)) {
      auto again = co_await fetch_table(conn, model);
      if (again.is_object() && again.contains("committed")) {
        nlohmann::json fresh = again["committed"];
        out.committed = co_await check_committed_table(std::move(fresh), conn->peer_identity().public_key_hex);
      }
    }
    if (!out.committed.value("ok", false)) metrics_.add("reputation_commits_unproven", {});
  }
  for (const auto& e : table["entries"]) {
    const auto& c = e["counters"];
    auto& m = out.models[e.value("model", "")];
    m.subjects++;
    m.requests += c.value("requests", uint64_t{0});
    m.successes += c.value("successes", uint64_t{0});
    m.mid_stream_errors += c.value("mid_stream_errors", uint64_t{0});
    m.spot_disagreements += c.value("spot_disagreements", uint64_t{0});
  }
  co_return out;
}

// The proxy's newest committed table: its leaf must lead, through the proof, to the hash its
// contract holds on chain, and that contract must be the key this client's TLS session proved.
asio::awaitable<nlohmann::json> ClientNode::check_committed_table(nlohmann::json committed, std::string proxy_key_hex) {
  nlohmann::json out = {{"ok", false}};
  try {
    out["root"] = committed.at("root").get<std::string>();
    out["generated_ms"] = committed.at("generated_ms").get<uint64_t>();
    if (!billing_) {
      out["detail"] = "this client reads no chain ([billing] off): the commitment is not checked";
      co_return out;
    }
    std::string error;
    auto proof = receipts::proof_from_json(committed.at("proof"), error);
    if (!proof) {
      out["detail"] = "the proof does not parse: " + error;
      co_return out;
    }
    auto root = from_hex(committed.at("root").get<std::string>());
    std::string leaf = receipts::reputation_commit_leaf(std::string(root.begin(), root.end()),
                                                        committed.at("count").get<uint64_t>(),
                                                        committed.at("generated_ms").get<uint64_t>());
    auto key = from_hex(proxy_key_hex);
    std::string raw_key(key.begin(), key.end());  // named: GCC 12 and temporaries of a throwing co_await
    auto checked = co_await billing::check_committed_leaf(billing_->chain(), *proof, std::move(leaf), std::move(raw_key));
    out["ok"] = checked.ok();
    out["chain_seqno"] = checked.chain_seqno;
    if (checked.status == billing::CommittedLeaf::Status::chain_ahead) out["chain_ahead"] = true;
    out["detail"] = checked.detail;
  } catch (const std::exception& e) {
    out["detail"] = std::string("the commitment could not be checked: ") + e.what();
  }
  co_return out;
}

nlohmann::json ClientNode::CheckedReputation::model_json(const std::string& model) const {
  nlohmann::json j = {{"verified", verified}};
  if (!verified) {
    j["problem"] = problem;
    return j;
  }
  j["root"] = root;
  if (!committed.is_null()) j["committed"] = committed;
  if (!history.is_null()) j["history"] = history;
  auto it = models.find(model);
  ModelFigures m = it == models.end() ? ModelFigures{} : it->second;
  j["subjects"] = m.subjects;
  j["requests"] = m.requests;
  j["success_rate"] = m.requests ? nlohmann::json(static_cast<double>(m.successes) / m.requests) : nlohmann::json();
  j["mid_stream_errors"] = m.mid_stream_errors;
  j["spot_disagreements"] = m.spot_disagreements;
  return j;
}

}  // namespace chrysalis::client
