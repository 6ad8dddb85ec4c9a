#pragma once
// The proxy's request path with billing on: clients prove their wallet, workers name theirs;
// every attempt reserves the worst case before it is sent, the end of a request charges what the
// worker reports (settled and fsynced before the client sees the end), failures charge only what
// was produced, and parties get their signed amounts after each commit and each request.
#include <boost/asio/io_context.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "proxy/billing_books.h"
#include "proxy/billing_peers.h"

namespace chrysalis::proxy {

class LedgerPeerBilling final : public PeerBilling {
 public:
  // `clients` and `workers` are the node's connection tables; `proxy_key_hex` its TLS key.
  LedgerPeerBilling(boost::asio::io_context& io, std::unique_ptr<BillingBooks> books,
                    const std::map<uint64_t, std::shared_ptr<net::Connection>>& clients, WorkerTable& workers,
                    std::string proxy_key_hex, Metrics& metrics);

  void start() override;
  void stop() override { books_->stop(); }
  BillingRefusal admit(uint64_t client_conn, std::string& client_contract) override;
  Reservation reserve(const std::string& client_contract, const std::string& worker_contract, uint32_t coefficient,
                      const proto::InferenceRequest& request) override;
  void hold_exact_prompt(uint64_t reservation, uint64_t prompt_tokens, uint64_t max_tokens) override;
  void release(uint64_t reservation, const proto::Usage* produced, proto::Billing* out) override;

  void on_client_hello(const std::shared_ptr<net::Connection>& conn, const proto::BillingHello& hello) override;
  void on_client_closed(uint64_t conn_id) override;
  void bind_worker_owner(WorkerEntry& worker, const std::string& owner) override;
  // The worker's latest signed payout, if it has not had it yet.
  void send_payout(WorkerEntry& worker);
  void settle_then_send(SettleThenSend settlement, SettlementTarget target) override;
  void send_payment_updates() override;
  nlohmann::json stats() const override;
  billing::ProxyLedger* ledger() override { return books_->ledger(); }

 private:
  // A client connection's billing: its contract and the largest signed charge sent to it.
  struct ClientAccount {
    std::string contract;
    uint64_t charge_sent = 0;
  };
  // A client names its wallet once per connection, maybe again after a top-up: more is a flood
  // (each new wallet costs a chain read every refresh).
  static constexpr uint32_t kMaxHellosPerConnection = 4;
  std::map<uint64_t, uint32_t> hellos_;  // by client connection
  struct PendingSettlement {
    SettleThenSend settlement;
    SettlementTarget target;
  };
  void send_client_info(const std::string& contract);
  void flush_settlements();
  void send_ends(std::vector<PendingSettlement>& batch, const std::vector<billing::Settlement>& settled);
  std::vector<billing::Settlement> settle_one_by_one(
      const std::vector<std::pair<uint64_t, billing::TokenUsage>>& items);

  boost::asio::io_context& io_;
  std::unique_ptr<BillingBooks> books_;
  const std::map<uint64_t, std::shared_ptr<net::Connection>>& clients_;
  WorkerTable& workers_;
  std::string proxy_key_hex_;
  Metrics& metrics_;
  std::map<uint64_t, ClientAccount> accounts_;  // by client connection id
  std::vector<PendingSettlement> pending_;
};

}  // namespace chrysalis::proxy
