// The proxy's request path with billing on: clients prove their wallet, workers name theirs;
// every attempt reserves the worst case before it is sent, the end of a request charges what the
// worker reports (settled and fsynced before the client sees the end), failures charge only what
// was produced, and parties get their signed amounts after each commit and each request.
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "attest/ra_tls/ra_tls_node.h"
#include "proxy/proxy_billing.h"
#include "proxy/proxy_node.h"

namespace chrysalis::proxy {

namespace {

constexpr int64_t kDrainGraceMs = 10'000;  // how long a cancelled worker has to report its usage
constexpr uint64_t kPromptFraming = 128;   // template tokens a chat prompt may add beyond its bytes

billing::TokenUsage to_usage(const proto::Usage& u) {
  billing::TokenUsage t{u.prompt_tokens(), u.cached_tokens(), u.completion_tokens(), u.reasoning_tokens()};
  t.cached = std::min(t.cached, t.prompt);  // a worker's inconsistent report must not fail the charge
  t.reasoning = std::min(t.reasoning, t.completion);
  return t;
}

// When the worker cannot say what a cut-short request produced: what reached the client.
proto::Usage relayed_usage(uint64_t events_relayed, uint64_t prompt_estimate) {
  proto::Usage u;
  u.set_completion_tokens(events_relayed);
  if (events_relayed) u.set_prompt_tokens(prompt_estimate);
  return u;
}

void fill_billing(proto::Billing* out, const billing::Settlement& s) {
  out->set_charged_tokens(s.charged_tokens);
  out->set_cost_nano(s.charged_nano);
  out->set_capped(s.capped);
}

}  // namespace

void ProxyNode::on_billing_hello(const std::shared_ptr<net::Connection>& conn, const proto::BillingHello& hello) {
  proto::Frame out;
  if (!billing_) {
    out.mutable_billing_info()->set_enabled(false);
    conn->send(out);
    return;
  }
  try {
    auto contract =
        billing_->bind_client(hello, conn->peer_identity().public_key_hex, attestation_->identity().public_key_hex);
    auto& b = client_billing_[conn->id()];
    if (b.contract != contract) b = ClientBilling{contract, 0};
    spdlog::info("client conn={} pays from contract {}", conn->id(), contract);
    // The BillingInfo follows once the contract has been read (send_client_info).
  } catch (const std::invalid_argument& e) {
    *out.mutable_billing_info() = billing_->info_for("", true);
    out.mutable_billing_info()->set_error(std::string("billing refused: ") + e.what());
    conn->send(out);
  }
}

void ProxyNode::send_client_info(const std::string& contract) {
  for (auto& [conn_id, b] : client_billing_) {
    if (b.contract != contract) continue;
    auto it = clients_.find(conn_id);
    if (it == clients_.end()) continue;
    proto::Frame out;
    *out.mutable_billing_info() = billing_->info_for(contract, true);
    it->second->send(out);
  }
}

void ProxyNode::bind_worker_owner(WorkerEntry& worker, const std::string& owner) {
  if (!billing_ || owner.empty()) return;
  worker.owner = owner;
  proto::Frame out;
  try {
    std::string contract = billing_->bind_worker(owner);
    if (contract == worker.contract) return;
    worker.contract = contract;
    worker.payout_sent = 0;
    *out.mutable_billing_info() = billing_->info_for(contract, false);
    spdlog::info("worker {} is paid through contract {}", worker.id, contract);
  } catch (const std::invalid_argument& e) {
    worker.contract.clear();
    *out.mutable_billing_info() = billing_->info_for("", false);
    out.mutable_billing_info()->set_error(e.what());
  }
  worker.conn->send(out);
}

bool ProxyNode::billing_admits(const std::shared_ptr<Route>& route) {
  if (!billing_) return true;
  if (std::string problem = billing_->serving_problem(); !problem.empty()) {
    fail_route(route, 503, "server_error", "billing_unavailable", problem, "proxy");
    return false;
  }
  auto it = client_billing_.find(route->client_conn);
  if (it == client_billing_.end()) {
    fail_route(route, 402, "billing_error", "payment_required",
               "this proxy bills per token and the client has not named the wallet that pays (BillingHello)", "proxy");
    return false;
  }
  route->client_contract = it->second.contract;
  return true;
}

uint64_t ProxyNode::reserve_for(const std::shared_ptr<Route>& route, const WorkerEntry& worker, bool fail) {
  if (!billing_) return 0;
  billing::ReserveRequest r;
  r.client = route->client_contract;
  r.worker = worker.contract;
  r.coefficient = worker.coefficient;
  // Safe upper bound: every prompt token covers at least one byte of the request body.
  r.prompt_tokens = route->request.body().size() + kPromptFraming;
  r.max_tokens = route->request.max_tokens();
  try {
    return billing_->reserve(r).id;
  } catch (const billing::InsufficientFunds& e) {
    billing_->refresh_client(route->client_contract);  // it may have topped up since the last read
    if (fail) fail_route(route, 402, "billing_error", "insufficient_funds", e.what(), "proxy");
  } catch (const std::exception& e) {
    if (fail) fail_route(route, 503, "server_error", "billing_unavailable", e.what(), "proxy");
  }
  return 0;
}

void ProxyNode::release_reservation(uint64_t& reservation, const proto::Usage* produced, proto::Billing* out) {
  if (!billing_ || reservation == 0) return;
  uint64_t id = reservation;
  reservation = 0;
  try {
    auto s = billing_->cancel(id, produced ? to_usage(*produced) : billing::TokenUsage{});
    if (out) fill_billing(out, s);
  } catch (const std::exception& e) {
    spdlog::error("releasing reservation {} failed: {}", id, e.what());
  }
}

void ProxyNode::settle_then_send(const std::shared_ptr<Route>& route, const proto::Usage& usage, proto::Frame end) {
  pending_settlements_.push_back({route, route->reservation, usage, std::move(end)});
  route->reservation = 0;  // the flush owns it now
  if (pending_settlements_.size() == 1) boost::asio::post(io_, [this] { flush_settlements(); });
}

void ProxyNode::flush_settlements() {
  auto batch = std::move(pending_settlements_);
  pending_settlements_.clear();
  std::vector<std::pair<uint64_t, billing::TokenUsage>> items;
  for (auto& p : batch) items.emplace_back(p.reservation, to_usage(p.usage));
  std::vector<billing::Settlement> settled;
  try {
    settled = billing_->settle_batch(items);
  } catch (const std::exception& e) {
    // One bad item must not hold back the others: settle them one by one.
    spdlog::error("settling {} requests together failed ({}); settling them one by one", batch.size(), e.what());
    for (auto& item : items) {
      try {
        settled.push_back(billing_->settle(item.first, item.second));
      } catch (const std::exception& e2) {
        spdlog::error("settling reservation {} failed: {}", item.first, e2.what());
        settled.push_back({});
      }
    }
  }
  metrics_.observe("settlement_batch", {}, static_cast<double>(batch.size()));
  for (size_t i = 0; i < batch.size(); ++i) {
    auto& p = batch[i];
    const auto& s = settled[i];
    auto* b = p.end.mutable_end()->mutable_billing();
    fill_billing(b, s);
    b->set_available_nano(billing_->available_nano(p.route->client_contract));
    metrics_.add("billed_nano", {}, static_cast<double>(s.charged_nano));
    send_to_client(p.route, p.end);
  }
  send_payment_updates();
}

void ProxyNode::hold_exact_prompt(const std::shared_ptr<Route>& route, const proto::ResponseHead& head) {
  if (!billing_ || route->reservation == 0 || head.prompt_tokens() == 0) return;
  try {
    billing_->shrink(route->reservation, head.prompt_tokens(), route->request.max_tokens());
    metrics_.add("reservations_held_exact", {});
  } catch (const std::exception& e) {
    spdlog::warn("rid={} keeping the full reservation: {}", route->request.request_id(), e.what());
  }
}

void ProxyNode::drain_reservation(const std::shared_ptr<Route>& route) {
  if (!billing_ || route->reservation == 0) return;
  if (route->worker_conn == 0 || !workers_.count(route->worker_conn)) {
    auto produced = relayed_usage(route->events_relayed, route->request.prompt_tokens_estimate());
    release_reservation(route->reservation, &produced);
    return;
  }
  StreamKey key{route->worker_conn, route->worker_stream};
  DrainingCharge d{route->reservation, route->events_relayed, route->request.prompt_tokens_estimate(),
                   std::make_shared<boost::asio::steady_timer>(io_)};
  route->reservation = 0;
  d.timer->expires_after(std::chrono::milliseconds(kDrainGraceMs));
  d.timer->async_wait([this, key](boost::system::error_code ec) {
    if (ec) return;
    auto it = draining_.find(key);
    if (it == draining_.end()) return;
    auto produced = relayed_usage(it->second.events_relayed, it->second.prompt_estimate);  // the worker never said
    release_reservation(it->second.reservation, &produced);
    draining_.erase(it);
  });
  draining_[key] = std::move(d);
}

bool ProxyNode::on_draining_frame(uint64_t conn_id, proto::Frame& frame) {
  auto it = draining_.find({conn_id, frame.stream()});
  if (it == draining_.end()) return false;
  const proto::Usage* usage = frame.has_end()     ? &frame.end().usage()
                              : frame.has_error() ? &frame.error().usage()
                                                  : nullptr;
  if (!usage) return true;  // parts still in flight
  it->second.timer->cancel();
  release_reservation(it->second.reservation, usage);
  draining_.erase(it);
  send_payment_updates();
  return true;
}

void ProxyNode::drop_draining(uint64_t conn_id) {
  for (auto it = draining_.begin(); it != draining_.end();) {
    if (it->first.first != conn_id) {
      ++it;
      continue;
    }
    it->second.timer->cancel();
    auto produced = relayed_usage(it->second.events_relayed, it->second.prompt_estimate);
    release_reservation(it->second.reservation, &produced);
    it = draining_.erase(it);
  }
}

void ProxyNode::send_payment_updates() {
  if (!billing_) return;
  for (auto& [conn_id, b] : client_billing_) {
    auto it = clients_.find(conn_id);
    if (it == clients_.end()) continue;
    if (auto u = billing_->charge_update(b.contract, b.charge_sent)) {
      b.charge_sent = u->tokens();
      proto::Frame out;
      *out.mutable_payment_update() = std::move(*u);
      it->second->send(out);
    }
  }
  for (auto& [conn_id, w] : workers_) {
    if (w.contract.empty()) continue;
    if (auto u = billing_->payout_update(w.contract, w.payout_sent)) {
      w.payout_sent = u->tokens();
      proto::Frame out;
      *out.mutable_payment_update() = std::move(*u);
      w.conn->send(out);
    }
  }
}

}  // namespace chrysalis::proxy
