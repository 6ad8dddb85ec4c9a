#pragma once
// Billing as the proxy node sees it: the request-path biller (RequestBiller) plus what happens on
// connections — a client's wallet proof, a worker's payout wallet, settling finished answers in
// groups, and sending parties their signed amounts. FreePeerBilling is the network without payment;
// LedgerPeerBilling (billing_ledger_peers.h) bills per token on the books and the chain.
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>

#include "billing/proxy_ledger.h"
#include "net/connection.h"
#include "proxy/request_actions.h"
#include "proxy/request_biller.h"
#include "proxy/worker_table.h"

namespace chrysalis::proxy {

// Where a settled end goes.
struct SettlementTarget {
  std::weak_ptr<net::Connection> client;
  uint64_t stream = 0;
  std::string client_contract;
};

class PeerBilling : public RequestBiller {
 public:
  virtual void start() {}
  virtual void stop() {}
  virtual void on_client_hello(const std::shared_ptr<net::Connection>& conn, const proto::BillingHello& hello) = 0;
  virtual void on_client_closed(uint64_t conn_id) {}
  // A worker named (or re-named) the wallet it is paid to.
  virtual void bind_worker_owner(WorkerEntry& worker, const std::string& owner) {}
  // Settles durably, then sends the end to the client (ends of one event-loop turn share one fsync).
  virtual void settle_then_send(SettleThenSend settlement, SettlementTarget target) = 0;
  virtual void send_payment_updates() {}
  virtual nlohmann::json stats() const = 0;
  // The books, when there are any (not on a free network).
  virtual billing::ProxyLedger* ledger() { return nullptr; }
  // Runs on every settled end just before it goes to the client (the receipt's countersignature).
  void set_before_client_send(std::function<void(proto::Frame&)> f) { before_client_send_ = std::move(f); }

 protected:
  void before_client_send(proto::Frame& frame) const {
    if (before_client_send_) before_client_send_(frame);
  }

 private:
  std::function<void(proto::Frame&)> before_client_send_;
};

class FreePeerBilling final : public PeerBilling {
 public:
  BillingRefusal admit(uint64_t, std::string& client_contract) override {
    client_contract.clear();
    return {};
  }
  Reservation reserve(const std::string&, const std::string&, uint32_t, const proto::InferenceRequest&) override {
    return {};
  }
  void hold_exact_prompt(uint64_t, uint64_t, uint64_t) override {}
  void release(uint64_t, const proto::Usage*, proto::Billing*) override {}
  void on_client_hello(const std::shared_ptr<net::Connection>& conn, const proto::BillingHello&) override {
    proto::Frame out;
    out.mutable_billing_info()->set_enabled(false);
    conn->send(out);
  }
  // Never asked: a free network holds nothing, so every end goes straight to the client.
  void settle_then_send(SettleThenSend settlement, SettlementTarget target) override {
    settlement.end.set_stream(target.stream);
    before_client_send(settlement.end);
    if (auto c = target.client.lock()) c->send(settlement.end);
  }
  nlohmann::json stats() const override { return {{"enabled", false}}; }
};

}  // namespace chrysalis::proxy
