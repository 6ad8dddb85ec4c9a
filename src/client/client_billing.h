#pragma once
// The client's side of payment, per proxy: proves the wallet to the proxy, checks on chain that
// the root lists the proxy and that its contract is the genuine one for the proxy's TLS key,
// deploys and funds the client contract (balance + stake), tops it up below a threshold, keeps
// the latest proxy-signed charge (checked as the contract checks it; a proxy whose signed charge
// goes down is dropped) and submits it when the uncharged amount would eat into the stake.
// The owner's actions (top up, withdraw, close, charge) run here too, for /admin/*.
#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "attest/policy/chain_policy_source.h"
#include "billing/billing_settings.h"
#include "billing/charge_check.h"
#include "chrysalis.pb.h"
#include "net/connection.h"
#include "ton/contracts/contract_get_methods.h"
#include "ton/toncenter/chain_agent.h"

namespace chrysalis::client {

// An owner's action refused before anything was sent (HTTP 400), or one that failed (HTTP 502).
struct BillingActionError : std::runtime_error {
  BillingActionError(int http_status, const std::string& message) : std::runtime_error(message), status(http_status) {}
  int status;
};

class ClientBilling {
 public:
  ClientBilling(boost::asio::any_io_executor ex, billing::BillingSettings settings, attest::RegistrySettings registry,
                std::shared_ptr<attest::ChainPolicySource> chain_policy, std::string own_tls_key_hex);
  void start();
  void stop();

  void on_proxy_up(const std::shared_ptr<net::Connection>& conn);
  // billing_info and payment_update frames (stream 0).
  void on_proxy_frame(const std::shared_ptr<net::Connection>& conn, const proto::Frame& frame);
  // Empty when requests through `conn` can be paid; else why not.
  std::string not_ready(const net::Connection& conn) const;
  void record_cost(const net::Connection& conn, const proto::Billing& billing);
  // Empty when what the proxy billed is what the worker's signed usage (`worker`, already held to
  // the request's bound; null: no valid receipt) costs at the network's prices, or less (capped by
  // funds), and matches the proxy's countersignature; else why not. Then drop_proxy.
  std::string check_charge(const proto::WorkerReceipt* worker, const proto::Usage& usage,
                           const proto::ProxyCountersign* countersign, const proto::Billing& billing,
                           const billing::ReceivedBound* received = nullptr) const;
  // This client stops paying through the proxy for the rest of its run, saying why (/stats).
  void drop_proxy(const net::Connection& conn, const std::string& why);

  enum class Action { TopUp, Withdraw, Close, Charge };
  // Runs on every account (or only the one whose proxy key is `proxy`); the JSON of each account
  // afterwards. Throws BillingActionError.
  boost::asio::awaitable<nlohmann::json> act(Action action, uint64_t amount, uint64_t stake, std::string proxy);
  nlohmann::json stats() const;
  // The chain the proxies' contracts are read from.
  ton::ToncenterClient& chain() { return agent_->client(); }

 private:
  struct Account {
    std::weak_ptr<net::Connection> conn;
    std::string proxy_key;  // hex: the proxy's TLS key = the key its contracts trust
    ton::Address proxy_contract, contract;
    bool verified = false;  // the proxy contract and our contract address were checked on chain
    bool ready = false;     // verified, funded, and the proxy has seen the funds
    bool busy = false;      // a verify/fund job is queued
    std::string problem = "waiting for the proxy's billing info";
    uint64_t available_nano = 0, price_per_token = 0;
    std::optional<ton::contracts::ClientContractData> chain;
    uint64_t signed_tokens = 0;  // the largest charge the proxy signed for us
    std::string signed_body_boc;
    uint64_t spent_nano = 0, requests = 0, topups = 0, charges_submitted = 0, refused_updates = 0;
    std::string proxy_refused;     // why the proxy itself is refused (not registered, not the genuine contract)
    uint64_t proxy_refusals = 0;   // checks that refused it
    std::string dropped;           // why this client stopped paying through the proxy (for this run)
    uint64_t lowered_charges = 0;  // signed charges below an amount signed or charged before
    uint64_t overcharges = 0;      // answers billed above what their worker receipts are worth
  };

  void send_hello(const std::shared_ptr<net::Connection>& conn);
  void hello_later(std::weak_ptr<net::Connection> conn, std::chrono::seconds delay);
  void on_info(Account& a, const std::shared_ptr<net::Connection>& conn, const proto::BillingInfo& info);
  void on_payment(Account& a, const proto::PaymentUpdate& update);
  void schedule_upkeep(const std::string& proxy_key);
  boost::asio::awaitable<void> upkeep(std::string proxy_key);
  boost::asio::awaitable<void> verify(Account& a);
  boost::asio::awaitable<void> top_up(Account& a, uint64_t amount, uint64_t stake);
  boost::asio::awaitable<void> submit_charge(Account& a);
  boost::asio::awaitable<void> reread(Account& a);
  nlohmann::json account_json(const Account& a) const;

  boost::asio::any_io_executor ex_;
  billing::BillingSettings settings_;
  std::shared_ptr<attest::ChainPolicySource> chain_policy_;
  std::string own_tls_key_hex_;
  std::unique_ptr<ton::ChainAgent> agent_;
  std::map<std::string, Account> accounts_;  // by proxy key
};

}  // namespace chrysalis::client
