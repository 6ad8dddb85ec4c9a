#pragma once
// The proxy's side of payment: its contract on chain (deployed with a stake on first start), the
// books (billing::ProxyLedger) bound to that contract and to the proxy's TEE key, and the loops
// that keep them honest: client contracts are read from chain, the books' state is committed to
// the proxy contract, clients are charged on chain, and parties get signed amounts for committed
// state only. The proxy serves paid requests only while the books are verified against the chain.
#include <boost/asio/any_io_executor.hpp>

#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>
#include "proxy/durable_waiters.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "attest/policy/chain_policy_source.h"
#include "billing/billing_settings.h"
#include "billing/proxy_ledger.h"
#include "chrysalis.pb.h"
#include "proxy/proxy_listing.h"
#include "ton/contracts/contract_init.h"
#include "ton/toncenter/chain_agent.h"

namespace chrysalis::proxy {

// A client contract that gets no credit now, whatever its funds: `code` names why
// (client_contract_closing, client_contract_closed, client_contract_unread).
struct ClientCreditRefused : std::runtime_error {
  ClientCreditRefused(std::string why_code, const std::string& message)
      : std::runtime_error(message), code(std::move(why_code)) {}
  std::string code;
};

class BillingBooks {
 public:
  BillingBooks(boost::asio::any_io_executor ex, billing::BillingSettings settings, attest::RegistrySettings registry,
               std::shared_ptr<attest::ChainPolicySource> chain_policy, const std::string& tee_key_pem,
               std::filesystem::path state_dir);
  ~BillingBooks();

  // `on_committed` runs after every state commit the chain confirmed (send parties their amounts);
  // `on_client_read(contract)` after a client contract was read (answer its pending hellos).
  // `on_ready` once the books serve (bind the workers that announced themselves before).
  void start(std::function<void()> on_committed, std::function<void(const std::string&)> on_client_read,
             std::function<void()> on_ready);
  void stop();

  // Empty while paid requests may be served; else why not (setting up, refused by the chain check).
  std::string serving_problem() const;

  // A client's wallet proof → its client contract (raw address); throws std::invalid_argument
  // naming what is wrong with the proof. Queues a read of the contract.
  std::string bind_client(const proto::BillingHello& hello, const std::string& client_tls_hex,
                          const std::string& proxy_tls_hex);
  // A worker's payout wallet → its worker contract (raw); throws std::invalid_argument for a bad address.
  std::string bind_worker(const std::string& owner_text);
  // What the proxy tells a party about its contract.
  proto::BillingInfo info_for(const std::string& party_contract, bool client) const;

  // Throws billing::LedgerError, or ClientCreditRefused for a closing, closed or not yet read client contract.
  billing::ReservationTicket reserve(const billing::ReserveRequest& request);
  billing::Settlement settle(uint64_t reservation, const billing::TokenUsage& usage);
  void shrink(uint64_t reservation, uint64_t prompt_tokens, uint64_t max_tokens);
  billing::Settlement cancel(uint64_t reservation, const billing::TokenUsage& produced);
  // Several settlements in one transaction and one fsync (all or nothing).
  std::vector<billing::Settlement> settle_batch(const std::vector<std::pair<uint64_t, billing::TokenUsage>>& items);
  // The same, the write queued behind the others (group commit); `then` runs on this executor once
  // it is on disk. Throws like settle_batch, and then `then` never runs.
  std::vector<billing::Settlement> settle_batch_durable_then(
      const std::vector<std::pair<uint64_t, billing::TokenUsage>>& items, std::function<void()> then);
  uint64_t available_nano(const std::string& client) const;
  // Reads the client contract; `always_notify`: call on_client_read even when nothing changed.
  void refresh_client(const std::string& contract, bool always_notify = false);

  // The latest signed amount when it is above `after` tokens.
  std::optional<proto::PaymentUpdate> charge_update(const std::string& client, uint64_t after);
  std::optional<proto::PaymentUpdate> payout_update(const std::string& worker, uint64_t after);
  // The last connection paying from `contract` went away: stop refreshing it.
  void unbind_client(const std::string& contract);

  // Called once the proxy settles through a new contract (the root's params changed): every peer
  // must bind again (its contract with this proxy moved too).
  void on_contract_moved(std::function<void(const std::string& why)> fn) { on_moved_ = std::move(fn); }
  // Before start(): keep the proxy listed in the root with these endpoints once its contract is up.
  void set_listing(ListingSettings listing) { listing_settings_ = std::move(listing); }

  billing::ProxyLedger* ledger() { return ledger_.get(); }
  nlohmann::json stats() const;

 private:
  boost::asio::awaitable<void> setup();
  boost::asio::awaitable<bool> setup_with_retries();
  boost::asio::awaitable<void> tick_loop();
  boost::asio::awaitable<void> commit_and_charge();
  boost::asio::awaitable<void> send_final_refunds();
  boost::asio::awaitable<bool> send_final_refund(std::string client);
  void archive_books_of_an_earlier_contract();
  // After a params change, once nothing is in flight: refund every client of the old contract,
  // start closing it, and set up under the new params (a new contract, new books, same key).
  bool drained() const;
  boost::asio::awaitable<void> move_to_new_contract();
  boost::asio::awaitable<void> complete_retired_closes();
  std::vector<ton::Address> retired_;  // old contracts closing after a move (at most one per params change)
  int64_t retired_checked_at_s_ = 0;
  std::string params_moved_on() const;
  std::string moved_on_;        // params_moved_on() as of the last tick
  bool moving_ = false;         // move_to_new_contract() is queued or running
  bool keep_delisted_ = false;  // taken off the root's list before a move: stays off after it
  uint64_t contract_moves_ = 0;
  std::function<void(const std::string&)> on_moved_;
  uint32_t own_state_ = 0;  // this proxy's contract as last read (0 active, 1 closing, 2 closed)
  int64_t own_read_at_s_ = 0;
  // True when the contract differs from what the books knew.
  boost::asio::awaitable<bool> read_client(std::string contract);
  void refuse(const std::string& why);
  // The chain check refused the books: check again later (a stale read passes; a restored or
  // cloned database keeps being refused), waiting longer after each refusal.
  void refuse_until_rechecked(const std::string& why);
  boost::asio::awaitable<void> recheck_chain();
  void announce_ready();
  std::optional<proto::PaymentUpdate> signed_update(const std::string& party, uint64_t committed, uint64_t after,
                                                    const std::function<std::optional<billing::SignedAmount>()>& sign);

  boost::asio::any_io_executor ex_;
  DurableWaiters durable_{ex_};
  billing::BillingSettings settings_;
  attest::RegistrySettings registry_settings_;
  std::shared_ptr<attest::ChainPolicySource> chain_policy_;
  ton::Ed25519Key tee_key_;
  std::filesystem::path state_dir_;
  std::unique_ptr<ton::ChainAgent> agent_;
  std::optional<ton::contracts::ChrysalisNetwork> network_;
  ton::contracts::ContractParams params_{};
  ton::Address proxy_contract_;
  std::unique_ptr<billing::ProxyLedger> ledger_;
  ListingSettings listing_settings_;
  std::unique_ptr<ProxyListing> listing_;
  std::string problem_ = "billing is starting (reading the registry)";
  std::function<void()> on_committed_;
  std::function<void(const std::string&)> on_client_read_;
  std::function<void()> on_ready_;
  static constexpr std::size_t kMaxBoundClients = 10000;  // each is read from the chain every refresh
  std::set<std::string> clients_;                         // bound client contracts (raw)
  std::map<std::string, int64_t> client_read_at_;         // unix seconds of the last read
  // Contract state (ContractState: 0 running, 1 closing, 2 closed) as last read, bound clients only.
  std::map<std::string, uint32_t> client_state_;
  std::set<std::string> reads_in_flight_;
  std::set<std::string> notify_after_read_;
  bool commit_queued_ = false;
  bool ready_announced_ = false;
  bool chain_refused_ = false;   // the last chain check refused the books
  uint32_t chain_refusals_ = 0;  // in a row; the next check waits 1 s × 2^n, at most a minute
  int64_t next_chain_check_us_ = 0;
  uint64_t chain_recoveries_ = 0;
  std::set<std::string> final_refunds_;  // closing client contracts sent their final refund
  uint64_t final_refunds_sent_ = 0;
  uint64_t commits_ = 0, charges_sent_ = 0, commit_failures_ = 0, closing_charges_sent_ = 0, credit_refused_ = 0;
  double last_commit_ms_ = 0;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::shared_ptr<bool> stopped_ = std::make_shared<bool>(false);
};

}  // namespace chrysalis::proxy
