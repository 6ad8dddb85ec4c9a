#include "proxy/billing_books.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "attest/keys/node_signing_key.h"
#include "billing/billing_hello.h"
#include "common/time.h"
#include "ton/cells/boc.h"
#include "ton/cells/encoding.h"
#include "ton/contracts/chrysalis_contracts.h"
#include "ton/contracts/contract_get_methods.h"
#include "ton/contracts/contract_messages.h"
#include "ton/wallet/wallet_sender.h"

namespace chrysalis::proxy {

namespace asio = boost::asio;
namespace contracts = ton::contracts;

namespace {

constexpr uint64_t kGas = contracts::kGasAttached;
constexpr uint32_t kClientRunning = static_cast<uint32_t>(contracts::ContractState::active);
constexpr uint32_t kClientClosing = static_cast<uint32_t>(contracts::ContractState::closing);
constexpr uint32_t kClientClosed = static_cast<uint32_t>(contracts::ContractState::closed);
// The proxy's own contract goes through the same states.
constexpr uint32_t kOwnClosing = kClientClosing;
constexpr uint32_t kOwnClosed = kClientClosed;

asio::awaitable<void> sleep_ms(int64_t ms) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  boost::system::error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

proto::PaymentUpdate to_update(const std::string& contract, const billing::SignedAmount& amount, uint64_t seqno) {
  proto::PaymentUpdate u;
  u.set_contract(contract);
  u.set_tokens(amount.tokens);
  auto boc = ton::serialize_boc(amount.signed_body);
  u.set_signed_body_boc(std::string(boc.begin(), boc.end()));
  u.set_committed_seqno(seqno);
  return u;
}

}  // namespace

BillingBooks::BillingBooks(asio::any_io_executor ex, billing::BillingSettings settings,
                           attest::RegistrySettings registry, std::shared_ptr<attest::ChainPolicySource> chain_policy,
                           const std::string& tee_key_pem, std::filesystem::path state_dir)
    : ex_(ex),
      settings_(std::move(settings)),
      registry_settings_(std::move(registry)),
      chain_policy_(std::move(chain_policy)),
      tee_key_(attest::node_signing_key(tee_key_pem)),
      state_dir_(std::move(state_dir)) {
  agent_ = std::make_unique<ton::ChainAgent>(ex_, registry_settings_.endpoint, registry_settings_.api_key,
                                             ton::load_wallet_key(settings_.wallet_key));
}

BillingBooks::~BillingBooks() { *stopped_ = true; }

void BillingBooks::start(std::function<void()> on_committed, std::function<void(const std::string&)> on_client_read,
                         std::function<void()> on_ready) {
  on_ready_ = std::move(on_ready);
  on_committed_ = std::move(on_committed);
  on_client_read_ = std::move(on_client_read);
  agent_->start();
  auto stopped = stopped_;
  asio::co_spawn(
      ex_,
      [this, stopped]() -> asio::awaitable<void> {
        bool ready = co_await setup_with_retries();
        if (ready) co_await tick_loop();
      },
      asio::detached);
}

// Sets up until it succeeds (every 2 s); false when stopped or the books were tampered with
// (never retried: an operator must look).
asio::awaitable<bool> BillingBooks::setup_with_retries() {
  auto stopped = stopped_;
  while (!*stopped) {
    try {
      co_await setup();
      co_return true;
    } catch (const std::exception& e) {
      if (*stopped) co_return false;
      refuse(std::string("billing setup failed: ") + e.what());
      if (dynamic_cast<const billing::LedgerTampered*>(&e)) co_return false;
    }
    co_await sleep_ms(2000);
  }
  co_return false;
}

void BillingBooks::stop() {
  *stopped_ = true;
  agent_->stop();
  if (timer_) timer_->cancel();
}

void BillingBooks::refuse(const std::string& why) {
  if (problem_ != why) spdlog::error("{}", why);
  problem_ = why;
}

asio::awaitable<void> BillingBooks::setup() {
  auto stopped = stopped_;
  while (!chain_policy_->registry()) {
    co_await sleep_ms(200);
    if (*stopped) co_return;
  }
  auto registry = *chain_policy_->registry();
  network_ = registry.network();
  params_ = registry.params;
  auto owner = agent_->wallet_address();
  auto init = network_->proxy_state_init(owner, tee_key_.public_key());
  proxy_contract_ = network_->proxy_address(owner, tee_key_.public_key());
  auto& chain = agent_->client();
  const std::string proxy_raw = proxy_contract_.to_raw();
  std::string state = co_await chain.get_address_state(proxy_raw);
  if (state != "active") {
    archive_books_of_an_earlier_contract();
    problem_ = "billing is starting (deploying the proxy contract " + proxy_contract_.to_friendly() + ")";
    uint64_t stake = std::max(settings_.proxy_stake_nano, params_.min_proxy_stake);
    spdlog::info("deploying proxy contract {} with a stake of {} TON", proxy_contract_.to_friendly(),
                 ton::format_ton(stake));
    auto message =
        ton::bounceable_message(proxy_contract_, stake + kGas, contracts::proxy_body::add_stake(stake, 1), init);
    co_await agent_->send_one(std::move(message));
    state = co_await chain.get_address_state(proxy_raw);
    if (state != "active")
      throw std::runtime_error("the proxy contract was not deployed (does the wallet " + owner.to_friendly() +
                               " hold stake + 0.1 TON?)");
  }
  billing::LedgerOptions options{state_dir_ / "books.sqlite", tee_key_, billing::Prices::from_params(params_),
                                 network_->root, proxy_contract_};
  options.receipts_kept = settings_.receipts_kept;
  if (!ledger_) {
    ledger_ = billing::ProxyLedger::open(options);  // throws LedgerTampered naming the row
    durable_.attach(*ledger_);
    size_t released = ledger_->release_open_reservations();
    if (released) spdlog::warn("released {} reservations of requests that did not survive the restart", released);
  }
  auto pd = co_await contracts::read_proxy_data(chain, proxy_contract_);
  auto verdict = ledger_->verify_against_chain({pd.last_seqno, pd.last_session_hash});
  if (!verdict.ok) {
    refuse_until_rechecked("the proxy refuses to serve: " + verdict.reason);
    co_return;  // no commit runs while refused; the check is repeated (a stale read passes)
  }
  announce_ready();
  if (listing_settings_.enabled && !listing_) {
    listing_ = std::make_unique<ProxyListing>(*agent_, chain_policy_, tee_key_, proxy_contract_, network_->root,
                                              listing_settings_);
    if (keep_delisted_) listing_->keep_off_the_list();
    listing_->start();
  }
  spdlog::info("billing ready: proxy contract {}, books at seqno {} (chain {}), price {} nanoTON/token, worker fee {}",
               proxy_contract_.to_friendly(), ledger_->state().seqno, pd.last_seqno, params_.price_per_token,
               params_.worker_fee_per_token);
}

void BillingBooks::announce_ready() {
  problem_.clear();
  if (ready_announced_) return;
  ready_announced_ = true;
  if (on_ready_) on_ready_();
}

void BillingBooks::refuse_until_rechecked(const std::string& why) {
  refuse(why);
  chain_refused_ = true;
  int64_t wait_ms = std::min<int64_t>(60'000, int64_t{1000} << std::min<uint32_t>(chain_refusals_, 6));
  ++chain_refusals_;
  next_chain_check_us_ = steady_now_us() + wait_ms * 1000;
}

asio::awaitable<void> BillingBooks::recheck_chain() {
  auto pd = co_await contracts::read_proxy_data(agent_->client(), proxy_contract_);
  auto verdict = ledger_->verify_against_chain({pd.last_seqno, pd.last_session_hash});
  if (!verdict.ok) {
    refuse_until_rechecked("the proxy refuses to serve: " + verdict.reason);
    co_return;
  }
  spdlog::info("billing recovered: the chain shows commit {}, as the books expect (after {} refused checks)",
               pd.last_seqno, chain_refusals_);
  chain_refused_ = false;
  chain_refusals_ = 0;
  ++chain_recoveries_;
  announce_ready();
}

// Books on disk while this proxy's contract is not deployed yet belong to an earlier contract:
// the root's params or code changed (children's addresses move with them) or the proxy's key did.
// They cannot be verified against the new contract, and a fresh contract cannot be confused with
// an old one (it starts at commit 0), so they are kept aside, not used and not deleted.
void BillingBooks::archive_books_of_an_earlier_contract() {
  const auto books = state_dir_ / "books.sqlite";
  if (ledger_ || !std::filesystem::exists(books)) return;
  const std::string archive = books.string() + ".before-" + proxy_contract_.to_raw().substr(2, 16);
  for (const char* suffix : {"", "-wal", "-shm"})
    if (std::filesystem::exists(books.string() + suffix))
      std::filesystem::rename(books.string() + suffix, archive + suffix);
  spdlog::warn(
      "the books in {} belong to an earlier proxy contract (the root's params or code, or this proxy's key, "
      "changed): kept as {}; clients of that contract get back what they did not spend when they close it",
      books.string(), archive);
}

// The root's params or code changed since this proxy's contract was deployed: its contract (and
// every client and worker contract derived from it) belongs to the old ones. It takes no new paid
// work and charges what is owed at once; a restart moves it to a contract under the new params.
bool BillingBooks::drained() const {
  if (!ledger_) return false;
  auto s = ledger_->state();
  return s.total_reserved_tokens == 0 && s.seqno == s.last_committed_seqno && ledger_->receipts_waiting() == 0;
}

asio::awaitable<void> BillingBooks::move_to_new_contract() {
  if (!drained()) co_return;  // a request came in meanwhile (free ones do not count): next tick
  const auto old_contract = proxy_contract_;
  // Every client of the old contract: charged what it owes, the rest back to its owner now.
  for (auto& c : ledger_->clients()) {
    auto st = client_state_.find(c.id);
    if ((st != client_state_.end() && st->second == kClientClosed) || final_refunds_.count(c.id)) continue;
    bool sent = co_await send_final_refund(c.id);
    if (!sent) co_return;  // not settled after all: next tick
  }
  // The old contract starts closing: its stake comes back to the owner after the close delay
  // (complete it with `chrysalis wallet proxy-close`); the workers' unclaimed share stays payable.
  co_await agent_->send_one(ton::bounceable_message(old_contract, kGas, contracts::proxy_body::request_close(9)));
  retired_.push_back(old_contract);  // its close is completed once its delay has passed (complete_retired_closes)
  spdlog::warn("moving to a contract under the new params: {} is closing; its books stay aside",
               old_contract.to_friendly());
  ledger_.reset();  // writes everything queued first
  durable_.detach();
  keep_delisted_ = listing_ && listing_->removed();  // its owner's decision outlives the move
  listing_.reset();
  clients_.clear();
  client_read_at_.clear();
  client_state_.clear();
  final_refunds_.clear();
  moved_on_.clear();
  ready_announced_ = false;
  try {
    co_await setup();  // deploys the new contract, opens fresh books, lists it (the same root entry)
  } catch (const std::exception& e) {
    // Not set up yet (the chain, or the wallet's funds for the new stake): keep trying outside
    // the chain agent's queue, as at start.
    refuse(std::string("moving to the new contract failed: ") + e.what());
    auto stopped = stopped_;
    asio::co_spawn(
        ex_,
        [this, stopped]() -> asio::awaitable<void> {
          co_await sleep_ms(2000);
          if (*stopped) co_return;
          bool ready = co_await setup_with_retries();
          if (ready && on_moved_)
            on_moved_("this proxy now settles through contract " + proxy_contract_.to_friendly() + ": bind again");
        },
        asio::detached);
    co_return;
  }
  ++contract_moves_;
  if (on_moved_)
    on_moved_("this proxy now settles through contract " + proxy_contract_.to_friendly() +
              " (the network's params changed): bind again");
}

std::string BillingBooks::params_moved_on() const {
  auto registry = chain_policy_->registry();
  if (!registry || !network_) return "";
  if (registry->network().proxy_address(agent_->wallet_address(), tee_key_.public_key()) == proxy_contract_) return "";
  return "the network's params or contract code changed (params version " + std::to_string(params_.params_version) +
         " -> " + std::to_string(registry->params.params_version) + "): this proxy's contract " +
         proxy_contract_.to_friendly() +
         " belongs to the old ones; it charges what clients owe and must restart to "
         "move to a new contract";
}

std::string BillingBooks::serving_problem() const {
  if (!problem_.empty()) return problem_;
  if (!moved_on_.empty()) return moved_on_;
  if (own_state_ != 0)
    return "this proxy's contract " + proxy_contract_.to_friendly() + " is " +
           (own_state_ == kOwnClosing ? "closing" : "closed") +
           " (its owner asked): it takes no new paid work; its clients get their final refunds";
  if (!ledger_ || !ledger_->serving())
    return "the proxy refuses to serve: " + (ledger_ ? ledger_->refusal() : "no books");
  return "";
}

asio::awaitable<void> BillingBooks::tick_loop() {
  auto stopped = stopped_;
  timer_ = std::make_unique<asio::steady_timer>(ex_);
  while (!*stopped) {
    timer_->expires_after(std::chrono::milliseconds(settings_.commit_interval_ms));
    boost::system::error_code ec;
    co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (*stopped) co_return;
    if (std::string moved = params_moved_on(); moved != moved_on_) {
      if (!moved.empty()) spdlog::warn("{}", moved);
      moved_on_ = moved;
    }
    // (Not a proxy its owner is closing: that one is winding down, not moving.)
    if (!moved_on_.empty() && !moving_ && own_state_ == 0 && drained()) {
      moving_ = true;
      agent_->submit("move to the new contract", [this, stopped]() -> asio::awaitable<void> {
        try {
          if (!*stopped) co_await move_to_new_contract();
        } catch (...) {
          if (!*stopped) moving_ = false;  // tried again at a later tick
          throw;
        }
        if (!*stopped) moving_ = false;
      });
    }
    int64_t now = unix_now_us() / 1000000;
    for (auto& c : clients_)
      if (now - client_read_at_[c] >= settings_.client_refresh_s) refresh_client(c);
    if (!commit_queued_) {
      commit_queued_ = true;
      agent_->submit("commit", [this, stopped]() -> asio::awaitable<void> {
        try {
          if (!*stopped) co_await commit_and_charge();
        } catch (...) {
          commit_queued_ = false;
          ++commit_failures_;
          throw;
        }
        commit_queued_ = false;
      });
    }
  }
}

asio::awaitable<void> BillingBooks::commit_and_charge() {
  auto& chain = agent_->client();
  if (chain_refused_ && steady_now_us() >= next_chain_check_us_) {
    try {
      co_await recheck_chain();
    } catch (const std::exception& e) {  // a failed read is one more refusal: wait longer
      refuse_until_rechecked(problem_.empty() ? std::string("the chain check failed: ") + e.what() : problem_);
    }
  }
  // Its own contract too, now and then: an owner who starts closing it winds the proxy down.
  if (int64_t now_s = unix_now_us() / 1000000; now_s - own_read_at_s_ >= settings_.client_refresh_s) {
    auto own = co_await contracts::read_proxy_data(chain, proxy_contract_);
    own_read_at_s_ = now_s;
    if (own.state != own_state_ && own.state != 0)
      spdlog::warn("this proxy's contract {} is {}: no new paid work; every client gets its final refund",
                   proxy_contract_.to_friendly(), own.state == kOwnClosing ? "closing" : "closed");
    own_state_ = own.state;
  }
  auto state = ledger_->state();
  // Receipts recorded since the last commit are due too (their tree goes into the next one).
  bool due = state.seqno > state.last_committed_seqno || ledger_->receipts_waiting() > 0;
  if (due && ledger_->serving()) {
    int64_t t0 = steady_now_us();
    auto commit = ledger_->prepare_commit();
    auto message = ton::bounceable_message(proxy_contract_, kGas, commit.signed_body);
    co_await agent_->send_one(std::move(message));
    auto pd = co_await contracts::read_proxy_data(chain, proxy_contract_);
    auto verdict = ledger_->verify_against_chain({pd.last_seqno, pd.last_session_hash});
    if (!verdict.ok) {
      refuse_until_rechecked("the proxy refuses to serve: " + verdict.reason);
      co_return;
    }
    last_commit_ms_ = (steady_now_us() - t0) / 1000.0;
    ++commits_;
    if (on_committed_) on_committed_();
  }
  // Clients whose committed, unpaid usage passed the threshold are charged on chain: the proxy
  // contract then holds what workers will claim.
  const auto prices = ledger_->prices();
  for (auto& c : ledger_->clients()) {
    if (c.committed_tokens <= c.chain_tokens_used) continue;
    // A closing client is charged at once, whatever it owes: once its close completes, the
    // contract pays everything back to its owner and what it owes is lost to the proxy's stake.
    auto st = client_state_.find(c.id);
    bool closing = st != client_state_.end() && st->second == kClientClosing;
    if (st != client_state_.end() && st->second == kClientClosed) continue;  // refuses every charge
    // A closing client whose final refund can be signed is settled by that refund (below).
    if (closing && ledger_->final_refund_ready(c.id)) continue;
    // After a params change nothing more will be earned here: everything owed is charged now.
    if (!closing && moved_on_.empty() &&
        billing::client_cost_nano(c.committed_tokens - c.chain_tokens_used, prices) <
            std::max<uint64_t>(1, settings_.charge_threshold_nano))
      continue;
    auto charge = ledger_->signed_charge(c.id);
    if (!charge) continue;
    auto contract = ton::Address::parse(c.id);
    auto message = ton::bounceable_message(contract, kGas, charge->signed_body);
    co_await agent_->send_one(std::move(message));
    ++charges_sent_;
    if (closing) {
      ++closing_charges_sent_;
      spdlog::info("charged closing client contract {} up to {} tokens on chain", c.id, charge->tokens);
    }
    bool changed = co_await read_client(c.id);
    if (changed && on_client_read_) on_client_read_(c.id);
  }
  co_await send_final_refunds();
  co_await complete_retired_closes();
}

// Contracts this proxy moved away from (params changes): once a contract's close delay has passed
// its close is completed, so the stake and commission come back to the owner while the workers'
// unclaimed share stays payable. Held in memory: after a restart `wallet proxy-close` completes it.
asio::awaitable<void> BillingBooks::complete_retired_closes() {
  if (retired_.empty()) co_return;
  const int64_t now_s = unix_now_us() / 1000000;
  if (now_s - retired_checked_at_s_ < 10) co_return;
  retired_checked_at_s_ = now_s;
  std::vector<ton::Address> still;
  for (auto& contract : retired_) {
    auto pd = co_await contracts::read_proxy_data(agent_->client(), contract);
    if (pd.state == kOwnClosed) {
      spdlog::info("the old proxy contract {} is closed: its stake went back to the owner", contract.to_friendly());
      continue;
    }
    if (pd.state == kOwnClosing && now_s >= int64_t{pd.unlock_ts})
      co_await agent_->send_one(ton::bounceable_message(contract, kGas, contracts::proxy_body::request_close(10)));
    still.push_back(contract);
  }
  retired_ = std::move(still);
}

// A client contract that is closing gets its final refund as soon as nothing is in flight for
// it: charged up to what it owes, the rest straight back to its owner, without waiting out the
// contract's close delay.
asio::awaitable<void> BillingBooks::send_final_refunds() {
  std::vector<std::string> closing;
  for (auto& [id, state] : client_state_)
    if (state == kClientClosing && !final_refunds_.count(id)) closing.push_back(id);
  // A proxy whose own contract is closing refunds every client it has books for (not once closed:
  // the charge that goes with a refund would bounce off a closed proxy contract).
  if (own_state_ == kOwnClosing)
    for (auto& c : ledger_->clients()) {
      auto st = client_state_.find(c.id);
      bool closed = st != client_state_.end() && st->second == kClientClosed;
      if (!closed && !final_refunds_.count(c.id) && std::find(closing.begin(), closing.end(), c.id) == closing.end())
        closing.push_back(c.id);
    }
  for (auto& id : closing) {
    bool sent = co_await send_final_refund(id);
    if (!sent) continue;  // a reservation is open or usage is not committed yet: next tick
    bool changed = co_await read_client(id);
    if (changed && on_client_read_) on_client_read_(id);
  }
}

// Signs and sends one client's final refund; false (nothing sent) while it cannot be signed yet.
asio::awaitable<bool> BillingBooks::send_final_refund(std::string id) {
  auto refund = ledger_->signed_final_refund(id);
  if (!refund) co_return false;
  auto message = ton::bounceable_message(ton::Address::parse(id), kGas, refund->signed_body);
  co_await agent_->send_one(std::move(message));
  final_refunds_.insert(id);
  ++final_refunds_sent_;
  spdlog::info("sent the final refund to client contract {}: charged up to {} tokens, the rest back to its owner", id,
               refund->tokens);
  co_return true;
}

void BillingBooks::refresh_client(const std::string& contract, bool always_notify) {
  if (always_notify) notify_after_read_.insert(contract);
  if (reads_in_flight_.count(contract)) return;
  reads_in_flight_.insert(contract);
  auto stopped = stopped_;
  asio::co_spawn(
      ex_,
      [this, contract, stopped]() -> asio::awaitable<void> {
        bool changed = false;
        try {
          changed = co_await read_client(contract);
        } catch (const std::exception& e) {
          if (!*stopped) spdlog::warn("reading client contract {} failed: {}", contract, e.what());
        }
        if (*stopped) co_return;
        reads_in_flight_.erase(contract);
        bool notify = changed || notify_after_read_.erase(contract) > 0;
        if (notify && on_client_read_) on_client_read_(contract);
      },
      asio::detached);
}

asio::awaitable<bool> BillingBooks::read_client(std::string contract) {
  auto stopped = stopped_;
  auto address = ton::Address::parse(contract);
  billing::ClientChainState seen;  // not deployed: nothing to spend
  auto cd = co_await contracts::read_client_data_if_deployed(agent_->client(), address);
  if (cd && cd->state != kClientClosed)  // funds a closing contract still holds cover what it owes
    seen = {cd->balance, cd->stake, cd->tokens_used};
  else if (cd)
    seen = {0, 0, cd->tokens_used};  // closed: nothing to spend
  if (*stopped || !ledger_) co_return false;
  client_read_at_[contract] = unix_now_us() / 1000000;
  uint32_t state = cd ? cd->state : kClientRunning;
  if (state != kClientRunning && client_state_[contract] != state)
    spdlog::warn("client contract {} is {}: no more credit{}", contract, state == kClientClosing ? "closing" : "closed",
                 state == kClientClosing ? ", what it owes is charged at once" : "");
  client_state_[contract] = state;
  auto known = ledger_->client(contract);
  // A contract that never held anything gets no row: rows are permanent, and wallets are free.
  if (!known && seen.balance_nano == 0 && seen.stake_nano == 0 && seen.tokens_used == 0) co_return false;
  // Every change is a signed, fsynced ledger write: skip reads that changed nothing.
  if (known && known->balance_nano == seen.balance_nano && known->stake_nano == seen.stake_nano &&
      known->chain_tokens_used == seen.tokens_used)
    co_return false;
  ledger_->update_client_chain(contract, seen);
  co_return true;
}

std::string BillingBooks::bind_client(const proto::BillingHello& hello, const std::string& client_tls_hex,
                                      const std::string& proxy_tls_hex) {
  if (!network_) throw std::invalid_argument("billing is not ready yet");
  if (hello.wallet_public_key().size() != 32) throw std::invalid_argument("wallet_public_key must be 32 bytes");
  if (hello.signature().size() != 64) throw std::invalid_argument("signature must be 64 bytes");
  ton::PublicKey wallet_key{};
  std::copy(hello.wallet_public_key().begin(), hello.wallet_public_key().end(), wallet_key.begin());
  ton::Signature sig{};
  std::copy(hello.signature().begin(), hello.signature().end(), sig.begin());
  auto message = billing::billing_hello_message(billing::public_key_from_hex(client_tls_hex, "the client's TLS key"),
                                                billing::public_key_from_hex(proxy_tls_hex, "the proxy's TLS key"));
  if (!ton::ed25519_verify(wallet_key, message, sig))
    throw std::invalid_argument("the wallet signature does not verify for this connection");
  ton::WalletV4R2 wallet(wallet_key, hello.workchain());
  auto contract = network_->client_address(wallet.address(), proxy_contract_, tee_key_.public_key()).to_raw();
  if (!clients_.count(contract) && clients_.size() >= kMaxBoundClients)
    throw std::invalid_argument("the proxy already follows its limit of " + std::to_string(kMaxBoundClients) +
                                " client contracts");
  clients_.insert(contract);
  refresh_client(contract, true);  // the client waits for the answer
  return contract;
}

std::string BillingBooks::bind_worker(const std::string& owner_text) {
  if (!network_) throw std::invalid_argument("billing is not ready yet");
  ton::Address owner;
  try {
    owner = ton::Address::parse(owner_text);
  } catch (const std::exception& e) {
    throw std::invalid_argument("owner_address \"" + owner_text + "\" is not a TON address: " + e.what());
  }
  return network_->worker_address(owner, proxy_contract_, tee_key_.public_key()).to_raw();
}

proto::BillingInfo BillingBooks::info_for(const std::string& party_contract, bool client) const {
  proto::BillingInfo info;
  info.set_enabled(true);
  if (!network_) {
    info.set_error("billing is not ready yet");
    return info;
  }
  info.set_root(network_->root.to_raw());
  info.set_proxy_contract(proxy_contract_.to_raw());
  info.set_party_contract(party_contract);
  info.set_price_per_token(params_.price_per_token);
  info.set_worker_fee_per_token(params_.worker_fee_per_token);
  if (client && ledger_) {
    info.set_available_nano(ledger_->available_nano(party_contract));
    if (auto c = ledger_->client(party_contract)) {
      info.set_balance_nano(c->balance_nano);
      info.set_stake_nano(c->stake_nano);
    }
  }
  return info;
}

billing::ReservationTicket BillingBooks::reserve(const billing::ReserveRequest& request) {
  if (auto p = serving_problem(); !p.empty()) throw billing::LedgerRefused(p);
  // The books hold the funds of the last read, maybe from before a restart: no credit until this
  // session has read the contract, and none to a contract that is closing or closed.
  auto refused = [&](const char* code, const std::string& why) {
    ++credit_refused_;
    return ClientCreditRefused(code, "client contract " + request.client + " " + why);
  };
  auto st = client_state_.find(request.client);
  if (!client_read_at_.count(request.client) || st == client_state_.end())
    throw refused("client_contract_unread", "has not been read from the chain yet: try again in a moment");
  if (st->second == kClientClosing)
    throw refused("client_contract_closing", "is closing: it gets no more credit (what it owes is charged now)");
  if (st->second == kClientClosed) throw refused("client_contract_closed", "is closed: it gets no credit");
  return ledger_->reserve(request);
}

billing::Settlement BillingBooks::settle(uint64_t reservation, const billing::TokenUsage& usage) {
  return ledger_->settle(reservation, usage);
}

void BillingBooks::shrink(uint64_t reservation, uint64_t prompt_tokens, uint64_t max_tokens) {
  ledger_->shrink_reservation(reservation, prompt_tokens, max_tokens);
}

billing::Settlement BillingBooks::cancel(uint64_t reservation, const billing::TokenUsage& produced) {
  return ledger_->cancel(reservation, produced);
}

std::vector<billing::Settlement> BillingBooks::settle_batch(
    const std::vector<std::pair<uint64_t, billing::TokenUsage>>& items) {
  return ledger_->settle_batch(items);
}

std::vector<billing::Settlement> BillingBooks::settle_batch_durable_then(
    const std::vector<std::pair<uint64_t, billing::TokenUsage>>& items, std::function<void()> then) {
  auto queued = ledger_->settle_batch_queued(items);
  durable_.after(queued.ticket, std::move(then));
  return std::move(queued.settlements);
}

uint64_t BillingBooks::available_nano(const std::string& client) const {
  return ledger_ ? ledger_->available_nano(client) : 0;
}

std::optional<proto::PaymentUpdate> BillingBooks::charge_update(const std::string& client, uint64_t after) {
  if (!ledger_) return std::nullopt;
  auto c = ledger_->client(client);
  return signed_update(client, c ? c->committed_tokens : 0, after, [&] { return ledger_->signed_charge(client); });
}

std::optional<proto::PaymentUpdate> BillingBooks::payout_update(const std::string& worker, uint64_t after) {
  if (!ledger_) return std::nullopt;
  auto w = ledger_->worker(worker);
  return signed_update(worker, w ? w->committed_tokens : 0, after, [&] { return ledger_->signed_payout(worker); });
}

std::optional<proto::PaymentUpdate> BillingBooks::signed_update(
    const std::string& party, uint64_t committed, uint64_t after,
    const std::function<std::optional<billing::SignedAmount>()>& sign) {
  if (committed <= after) return std::nullopt;  // nothing new: signing would only cost a write
  auto amount = sign();
  if (!amount) return std::nullopt;
  return to_update(party, *amount, ledger_->state().last_committed_seqno);
}

void BillingBooks::unbind_client(const std::string& contract) {
  clients_.erase(contract);
  client_read_at_.erase(contract);
  // A closing contract stays known: it is charged at once even with no connection left.
  if (auto st = client_state_.find(contract); st != client_state_.end() && st->second != kClientClosing)
    client_state_.erase(st);
}

nlohmann::json BillingBooks::stats() const {
  nlohmann::json out = {
      {"enabled", true},
      {"serving_problem", serving_problem()},
      {"proxy_contract", network_ ? proxy_contract_.to_friendly() : ""},
      {"public_key", ton::to_hex(tee_key_.public_key())},
      {"root_listing",
       listing_ ? listing_->stats() : nlohmann::json{{"enabled", listing_settings_.enabled}, {"listed", false}}},
      {"commits", commits_},
      {"commit_failures", commit_failures_},
      {"last_commit_ms", last_commit_ms_},
      {"charges_sent", charges_sent_},
      {"closing_charges_sent", closing_charges_sent_},
      {"final_refunds_sent", final_refunds_sent_},
      {"contract_moves", contract_moves_},
      {"retired_contracts",
       [this] {
         nlohmann::json list = nlohmann::json::array();
         for (auto& c : retired_) list.push_back(c.to_friendly());
         return list;
       }()},
      {"contract_state", own_state_ == 0             ? "active"
                         : own_state_ == kOwnClosing ? "closing"
                                                     : "closed"},
      {"chain_check",
       {{"refused", chain_refused_},
        {"refusals_in_a_row", chain_refusals_},
        {"next_check_in_ms",
         chain_refused_ ? std::max<int64_t>(0, (next_chain_check_us_ - steady_now_us()) / 1000) : 0},
        {"recoveries", chain_recoveries_}}},
      {"credit_refused", credit_refused_},
      {"limits",
       {{"bound_clients", clients_.size()},
        {"max_bound_clients", kMaxBoundClients},
        // bound contracts plus closing ones kept after their connections left (each has a ledger row)
        {"client_states", client_state_.size()}}},
      {"chain", agent_->stats()}};
  if (!ledger_) return out;
  auto s = ledger_->state();
  const auto& prices = ledger_->prices();
  out["price_per_token"] = prices.price_per_token;
  out["worker_fee_per_token"] = prices.worker_fee_per_token;
  out["seqno"] = s.seqno;
  out["committed_seqno"] = s.last_committed_seqno;
  out["receipts"] = ledger_->receipts_stats();
  auto writer = ledger_->writer_stats();
  // Group commit: settlements queued meanwhile share a transaction and its fsync.
  out["writer"] = {{"writes", writer.writes},
                   {"transactions", writer.groups},
                   {"fsyncs", writer.durable_groups},
                   {"largest_group", writer.largest_group},
                   {"queued", writer.queued},
                   {"failures", writer.failures},
                   {"ends_waiting_for_disk", durable_.stats()}};
  // Totals as the books hold them (nanoTON at the network's prices; tokens are adjusted tokens).
  out["charged_tokens"] = s.total_charged_tokens;
  out["earned_tokens"] = s.total_earned_tokens;
  out["reserved_tokens"] = s.total_reserved_tokens;
  out["charged_nano"] = std::to_string(billing::client_cost_nano(s.total_charged_tokens, prices));
  out["worker_fees_nano"] = std::to_string(billing::worker_fee_nano(s.total_earned_tokens, prices));
  out["commission_nano"] = std::to_string(s.commission_nano);
  out["reserved_nano"] = std::to_string(billing::client_cost_nano(s.total_reserved_tokens, prices));
  nlohmann::json clients = nlohmann::json::array(), workers = nlohmann::json::array();
  for (auto& c : ledger_->clients()) {
    auto st = client_state_.find(c.id);
    const char* state = st == client_state_.end()      ? "unread"
                        : st->second == kClientRunning ? "running"
                        : st->second == kClientClosing ? "closing"
                                                       : "closed";
    clients.push_back({{"contract", c.id},
                       {"state", state},
                       {"balance_nano", std::to_string(c.balance_nano)},
                       {"stake_nano", std::to_string(c.stake_nano)},
                       {"available_nano", std::to_string(ledger_->available_nano(c.id))},
                       {"reserved_tokens", c.reserved_tokens},
                       {"charged_tokens", c.charged_tokens},
                       {"committed_tokens", c.committed_tokens},
                       {"charged_on_chain_tokens", c.chain_tokens_used},
                       {"charged_nano", std::to_string(billing::client_cost_nano(c.charged_tokens, prices))}});
  }
  for (auto& w : ledger_->workers())
    workers.push_back({{"contract", w.id},
                       {"earned_tokens", w.earned_tokens},
                       {"committed_tokens", w.committed_tokens},
                       {"signed_tokens", w.signed_tokens},
                       {"earned_nano", std::to_string(billing::worker_fee_nano(w.earned_tokens, prices))}});
  out["clients"] = clients;
  out["workers"] = workers;
  out["invariant_violations"] = ledger_->check_invariants();
  return out;
}

}  // namespace chrysalis::proxy
