#include "proxy/billing_ledger_peers.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <algorithm>

#include "api/inference_request_check.h"

namespace chrysalis::proxy {

namespace {

billing::TokenUsage to_usage(const proto::Usage& u) {
  billing::TokenUsage t{u.prompt_tokens(), u.cached_tokens(), u.completion_tokens(), u.reasoning_tokens()};
  t.cached = std::min(t.cached, t.prompt);  // a worker's inconsistent report must not fail the charge
  t.reasoning = std::min(t.reasoning, t.completion);
  return t;
}

void fill_billing(proto::Billing* out, const billing::Settlement& s) {
  out->set_charged_tokens(s.charged_tokens);
  out->set_cost_nano(s.charged_nano);
  out->set_capped(s.capped);
  out->set_ledger_seqno(s.seqno);
}

}  // namespace

LedgerPeerBilling::LedgerPeerBilling(boost::asio::io_context& io, std::unique_ptr<BillingBooks> books,
                                     const std::map<uint64_t, std::shared_ptr<net::Connection>>& clients,
                                     WorkerTable& workers, std::string proxy_key_hex, Metrics& metrics)
    : io_(io),
      books_(std::move(books)),
      clients_(clients),
      workers_(workers),
      proxy_key_hex_(std::move(proxy_key_hex)),
      metrics_(metrics) {}

void LedgerPeerBilling::start() {
  // Peers bound to the old contract reconnect and bind to the new one (their dialers come back at once).
  books_->on_contract_moved([this](const std::string& why) {
    std::vector<std::shared_ptr<net::Connection>> peers;
    for (auto& [id, conn] : clients_) peers.push_back(conn);
    for (auto& [id, w] : workers_.entries()) peers.push_back(w.conn);
    for (auto& conn : peers)
      if (conn) conn->close(why);
  });
  books_->start([this] { send_payment_updates(); }, [this](const std::string& c) { send_client_info(c); },
                [this] {
                  for (auto& [id, w] : workers_.entries()) bind_worker_owner(w, w.owner);
                });
}

BillingRefusal LedgerPeerBilling::admit(uint64_t client_conn, std::string& client_contract) {
  if (std::string problem = books_->serving_problem(); !problem.empty())
    return {503, "server_error", "billing_unavailable", problem};
  auto it = accounts_.find(client_conn);
  if (it == accounts_.end())
    return {402, "billing_error", "payment_required",
            "this proxy bills per token and the client has not named the wallet that pays (BillingHello)"};
  client_contract = it->second.contract;
  return {};
}

Reservation LedgerPeerBilling::reserve(const std::string& client_contract, const std::string& worker_contract,
                                       uint32_t coefficient, const proto::InferenceRequest& request) {
  billing::ReserveRequest r;
  r.client = client_contract;
  r.worker = worker_contract;
  r.coefficient = coefficient;
  // Safe upper bound: every prompt token covers at least one byte of the request body.
  r.prompt_tokens = api::prompt_token_bound(request);
  r.max_tokens = request.max_tokens();
  try {
    return {books_->reserve(r).id, {}};
  } catch (const ClientCreditRefused& e) {
    metrics_.add("billing_credit_refused", {{"reason", e.code}});
    bool retry_soon = e.code == "client_contract_unread";  // the read is on its way
    return {0, {retry_soon ? 503u : 402u, retry_soon ? "server_error" : "billing_error", e.code, e.what()}};
  } catch (const billing::InsufficientFunds& e) {
    books_->refresh_client(client_contract);  // it may have topped up since the last read
    return {0, {402, "billing_error", "insufficient_funds", e.what()}};
  } catch (const std::exception& e) {
    return {0, {503, "server_error", "billing_unavailable", e.what()}};
  }
}

void LedgerPeerBilling::hold_exact_prompt(uint64_t reservation, uint64_t prompt_tokens, uint64_t max_tokens) {
  try {
    books_->shrink(reservation, prompt_tokens, max_tokens);
  } catch (const std::exception& e) {
    spdlog::warn("reservation {}: keeping the full hold: {}", reservation, e.what());
  }
}

void LedgerPeerBilling::release(uint64_t reservation, const proto::Usage* produced, proto::Billing* out) {
  if (reservation == 0) return;
  try {
    // Whose funds it held: the client is told what it has left, as after a settled answer.
    std::string client;
    if (auto* ledger = out ? books_->ledger() : nullptr)
      for (const auto& r : ledger->reservations())
        if (r.id == reservation) client = r.client;
    auto s = books_->cancel(reservation, produced ? to_usage(*produced) : billing::TokenUsage{});
    if (out) fill_billing(out, s);
    if (out && !client.empty()) out->set_available_nano(books_->available_nano(client));
  } catch (const std::exception& e) {
    spdlog::error("releasing reservation {} failed: {}", reservation, e.what());
  }
}

void LedgerPeerBilling::on_client_hello(const std::shared_ptr<net::Connection>& conn,
                                        const proto::BillingHello& hello) {
  if (++hellos_[conn->id()] > kMaxHellosPerConnection) {
    metrics_.add("billing_hellos_refused", {});
    conn->close("BillingHello limit: at most " + std::to_string(kMaxHellosPerConnection) + " per connection");
    return;
  }
  try {
    auto contract = books_->bind_client(hello, conn->peer_identity().public_key_hex, proxy_key_hex_);
    auto& account = accounts_[conn->id()];
    if (account.contract != contract) account = ClientAccount{contract, 0};
    spdlog::info("client conn={} pays from contract {}", conn->id(), contract);
    // The BillingInfo follows once the contract has been read (send_client_info).
  } catch (const std::invalid_argument& e) {
    proto::Frame out;
    *out.mutable_billing_info() = books_->info_for("", true);
    out.mutable_billing_info()->set_error(std::string("billing refused: ") + e.what());
    conn->send(out);
  }
}

nlohmann::json LedgerPeerBilling::stats() const {
  auto out = books_->stats();
  out["limits"]["max_hellos_per_connection"] = kMaxHellosPerConnection;
  return out;
}

void LedgerPeerBilling::on_client_closed(uint64_t conn_id) {
  hellos_.erase(conn_id);
  auto it = accounts_.find(conn_id);
  if (it == accounts_.end()) return;
  std::string contract = it->second.contract;
  accounts_.erase(it);
  bool still_bound = std::any_of(accounts_.begin(), accounts_.end(),
                                 [&](const auto& entry) { return entry.second.contract == contract; });
  if (!still_bound) books_->unbind_client(contract);
}

void LedgerPeerBilling::send_client_info(const std::string& contract) {
  for (auto& [conn_id, account] : accounts_) {
    if (account.contract != contract) continue;
    auto it = clients_.find(conn_id);
    if (it == clients_.end()) continue;
    proto::Frame out;
    *out.mutable_billing_info() = books_->info_for(contract, true);
    it->second->send(out);
  }
}

void LedgerPeerBilling::bind_worker_owner(WorkerEntry& worker, const std::string& owner) {
  if (owner.empty()) return;
  worker.owner = owner;
  proto::Frame out;
  try {
    std::string contract = books_->bind_worker(owner);
    if (contract == worker.contract) return;
    worker.contract = contract;
    worker.payout_sent = 0;
    *out.mutable_billing_info() = books_->info_for(contract, false);
    spdlog::info("worker {} is paid through contract {}", worker.id, contract);
  } catch (const std::invalid_argument& e) {
    worker.contract.clear();
    *out.mutable_billing_info() = books_->info_for("", false);
    out.mutable_billing_info()->set_error(e.what());
  }
  worker.conn->send(out);
  // What it earned while away (e.g. the part it served before it died mid-answer) is signed now,
  // not at the next settlement that may never come.
  send_payout(worker);
}

void LedgerPeerBilling::send_payout(WorkerEntry& w) {
  if (w.contract.empty()) return;
  if (auto u = books_->payout_update(w.contract, w.payout_sent)) {
    w.payout_sent = u->tokens();
    proto::Frame out;
    *out.mutable_payment_update() = std::move(*u);
    w.conn->send(out);
  }
}

void LedgerPeerBilling::settle_then_send(SettleThenSend settlement, SettlementTarget target) {
  pending_.push_back({std::move(settlement), std::move(target)});
  if (pending_.size() == 1) boost::asio::post(io_, [this] { flush_settlements(); });
}

void LedgerPeerBilling::flush_settlements() {
  auto batch = std::make_shared<std::vector<PendingSettlement>>(std::exchange(pending_, {}));
  std::vector<std::pair<uint64_t, billing::TokenUsage>> items;
  for (auto& p : *batch) items.emplace_back(p.settlement.reservation, to_usage(p.settlement.usage));
  metrics_.observe("settlement_batch", {}, static_cast<double>(batch->size()));
  // The books hold the settlements at once; the ends go out once their write is on disk (group
  // commit: the I/O thread goes on serving meanwhile).
  auto settled = std::make_shared<std::vector<billing::Settlement>>();
  try {
    *settled = books_->settle_batch_durable_then(items, [this, batch, settled] { send_ends(*batch, *settled); });
    return;
  } catch (const std::exception& e) {
    spdlog::error("settling {} requests together failed ({}); settling them one by one", items.size(), e.what());
  }
  *settled = settle_one_by_one(items);
  send_ends(*batch, *settled);
}

void LedgerPeerBilling::send_ends(std::vector<PendingSettlement>& batch,
                                  const std::vector<billing::Settlement>& settled) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& end = batch[i].settlement.end;
    auto* b = end.mutable_end()->mutable_billing();
    fill_billing(b, settled[i]);
    b->set_available_nano(books_->available_nano(batch[i].target.client_contract));
    metrics_.add("billed_nano", {}, static_cast<double>(settled[i].charged_nano));
    end.set_stream(batch[i].target.stream);
    before_client_send(end);
    if (auto c = batch[i].target.client.lock()) c->send(end);
  }
  send_payment_updates();
}

// One bad item must not hold back the others: each in its own write.
std::vector<billing::Settlement> LedgerPeerBilling::settle_one_by_one(
    const std::vector<std::pair<uint64_t, billing::TokenUsage>>& items) {
  std::vector<billing::Settlement> settled;
  for (auto& item : items) {
    try {
      settled.push_back(books_->settle(item.first, item.second));
    } catch (const std::exception& e) {
      spdlog::error("settling reservation {} failed: {}", item.first, e.what());
      settled.push_back({});
    }
  }
  return settled;
}

void LedgerPeerBilling::send_payment_updates() {
  for (auto& [conn_id, account] : accounts_) {
    auto it = clients_.find(conn_id);
    if (it == clients_.end()) continue;
    if (auto u = books_->charge_update(account.contract, account.charge_sent)) {
      account.charge_sent = u->tokens();
      proto::Frame out;
      *out.mutable_payment_update() = std::move(*u);
      it->second->send(out);
    }
  }
  for (auto& [conn_id, w] : workers_.entries()) send_payout(w);
}

}  // namespace chrysalis::proxy
