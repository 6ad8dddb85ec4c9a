#pragma once
// The worker's side of payment: the wallet it is paid to (announced to every proxy), a check on
// chain that the root lists each proxy and that its contract is the genuine one for the proxy's
// TLS key (else the proxy is refused, named on /stats), that the worker contract the proxy names
// is ours, the latest signed payout per proxy (billing::PayoutBook: a proxy whose amount goes down
// is dropped), and claims on the worker contract once the unclaimed amount
// passes a nanoTON threshold (or on command). Each proxy's contract is watched: once it starts
// closing, everything signed is claimed at once (after the close only the clients' paid share is
// left there), and the best amount a dropped proxy signed before cheating is claimed too.
#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "attest/policy/chain_policy_source.h"
#include "billing/billing_settings.h"
#include "billing/payout_book.h"
#include "chrysalis.pb.h"
#include "net/connection.h"
#include "ton/toncenter/chain_agent.h"

namespace chrysalis::worker {

class WorkerBilling {
 public:
  WorkerBilling(boost::asio::any_io_executor ex, billing::BillingSettings settings, attest::RegistrySettings registry,
                std::shared_ptr<attest::ChainPolicySource> chain_policy, std::filesystem::path state_dir);
  void start();
  void stop();
  std::string owner_address() const;
  // The owner wallet's proof that it owns this worker, for the connection with these TLS keys.
  proto::BillingHello owner_proof(const std::string& own_tls_hex, const std::string& proxy_tls_hex) const;
  void on_proxy_frame(const std::shared_ptr<net::Connection>& conn, const proto::Frame& frame);
  void on_payment_update(const std::shared_ptr<net::Connection>& conn, const proto::PaymentUpdate& update);
  // Why this worker will not serve the proxy with `proxy_key` (empty: it will).
  std::string refusal(const std::string& proxy_key) const;
  // Called when refusal() may have changed for some proxy (announce the worker again).
  void on_refusals_changed(std::function<void()> callback) { on_refusals_changed_ = std::move(callback); }
  // Claims every proxy's unclaimed payout (only those past the threshold unless `all`); the
  // claims made, as JSON.
  boost::asio::awaitable<nlohmann::json> claim(bool all);
  nlohmann::json stats() const;

 private:
  struct ProxyAccount {
    ton::Address proxy_contract, contract;
    bool verified = false;
    // A signed payout that came before the proxy's contract was verified (on every reconnect the
    // proxy sends the latest at once): taken once verification succeeds. Only the newest is kept.
    std::optional<proto::PaymentUpdate> waiting_update;
    std::weak_ptr<net::Connection> waiting_from;
    bool busy = false;
    std::string problem;
    uint64_t claims = 0;
    uint64_t paid_nano = 0;       // what claims moved to the owner's wallet (Δtokens × fee)
    int contract_state = -1;      // the proxy contract's state as last watched (-1: not read yet)
    uint32_t claim_failures = 0;  // automatic claims that failed in a row (they back off)
    int64_t next_claim_at_s = 0;  // no automatic claim before (after a failure)
    std::string last_claim_error;
    std::string proxy_refused;    // why the proxy itself is refused (not registered, not the genuine contract)
    uint64_t proxy_refusals = 0;  // checks that refused it
  };
  void verify_later(const std::string& proxy_key);
  void schedule_verify(const std::string& proxy_key);
  // Queues a claim of everything `proxy_key` signed (unless one is queued or backing off).
  void schedule_claim(const std::string& proxy_key, const char* why);
  boost::asio::awaitable<void> claim_one(const std::string& proxy_key);
  boost::asio::awaitable<void> watch_loop();
  boost::asio::awaitable<void> watch_one(std::string proxy_key);
  bool ensure_book();

  boost::asio::any_io_executor ex_;
  billing::BillingSettings settings_;
  // The newest claims that moved the worker contract (newest first on /stats billing.payouts).
  struct Payout {
    int64_t at_s = 0;
    std::string proxy_key;
    uint64_t from_tokens = 0, to_tokens = 0, paid_nano = 0;
  };
  static constexpr size_t kPayoutHistory = 100;
  std::deque<Payout> payout_history_;
  nlohmann::json payouts_json() const;
  std::shared_ptr<attest::ChainPolicySource> chain_policy_;
  std::filesystem::path state_dir_;
  std::unique_ptr<ton::ChainAgent> agent_;
  std::unique_ptr<billing::PayoutBook> book_;
  std::map<std::string, ProxyAccount> proxies_;  // by proxy key
  uint64_t refused_updates_ = 0, watch_failures_ = 0;
  std::string last_refusal_;
  std::shared_ptr<bool> stopped_ = std::make_shared<bool>(false);
  std::function<void()> on_refusals_changed_;
};

}  // namespace chrysalis::worker
