#include "client/client_billing.h"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include "billing/billing_hello.h"
#include "billing/charge_check.h"
#include "billing/pricing.h"
#include "billing/proxy_standing.h"
#include "ton/cells/boc.h"
#include "ton/contracts/chrysalis_contracts.h"
#include "ton/contracts/client_contract_funding.h"
#include "ton/contracts/contract_init.h"
#include "ton/contracts/contract_messages.h"
#include "ton/contracts/contract_signed.h"
#include "ton/wallet/wallet_sender.h"

namespace chrysalis::client {

namespace asio = boost::asio;
namespace contracts = ton::contracts;

ClientBilling::ClientBilling(asio::any_io_executor ex, billing::BillingSettings settings,
                             attest::RegistrySettings registry, std::shared_ptr<attest::ChainPolicySource> chain_policy,
                             std::string own_tls_key_hex)
    : ex_(ex),
      settings_(std::move(settings)),
      chain_policy_(std::move(chain_policy)),
      own_tls_key_hex_(std::move(own_tls_key_hex)) {
  agent_ = std::make_unique<ton::ChainAgent>(ex_, registry.endpoint, registry.api_key,
                                             ton::load_wallet_key(settings_.wallet_key));
}

void ClientBilling::start() { agent_->start(); }
void ClientBilling::stop() { agent_->stop(); }

void ClientBilling::on_proxy_up(const std::shared_ptr<net::Connection>& conn) {
  auto& a = accounts_[conn->peer_identity().public_key_hex];
  a.conn = conn;
  a.proxy_key = conn->peer_identity().public_key_hex;
  a.ready = false;
  a.problem = a.dropped.empty() ? "waiting for the proxy's billing info"
                                : "this client no longer pays through the proxy: " + a.dropped;
  send_hello(conn);
}

void ClientBilling::send_hello(const std::shared_ptr<net::Connection>& conn) {
  const auto& wallet = agent_->wallet_key();
  auto message = billing::billing_hello_message(
      billing::public_key_from_hex(own_tls_key_hex_, "our TLS key"),
      billing::public_key_from_hex(conn->peer_identity().public_key_hex, "the proxy's TLS key"));
  auto sig = wallet.key.sign(message);
  proto::Frame f;
  auto* h = f.mutable_billing_hello();
  h->set_wallet_public_key(std::string(wallet.key.public_key().begin(), wallet.key.public_key().end()));
  h->set_workchain(wallet.workchain);
  h->set_signature(std::string(sig.begin(), sig.end()));
  conn->send(f);
}

void ClientBilling::hello_later(std::weak_ptr<net::Connection> conn, std::chrono::seconds delay) {
  auto timer = std::make_shared<asio::steady_timer>(ex_, delay);
  timer->async_wait([this, timer, conn](boost::system::error_code ec) {
    if (auto c = conn.lock(); !ec && c && c->open()) send_hello(c);
  });
}

void ClientBilling::on_proxy_frame(const std::shared_ptr<net::Connection>& conn, const proto::Frame& frame) {
  auto it = accounts_.find(conn->peer_identity().public_key_hex);
  if (it == accounts_.end()) return;
  if (frame.has_billing_info()) on_info(it->second, conn, frame.billing_info());
  if (frame.has_payment_update()) on_payment(it->second, frame.payment_update());
}

void ClientBilling::on_info(Account& a, const std::shared_ptr<net::Connection>& conn, const proto::BillingInfo& info) {
  if (!info.enabled()) {
    a.ready = true;  // this proxy does not bill
    a.problem.clear();
    return;
  }
  if (!info.error().empty()) {
    a.ready = false;
    a.problem = "proxy: " + info.error();
    // Not ready yet (the proxy is deploying its contract): ask again shortly.
    hello_later(conn, std::chrono::seconds(2));
    return;
  }
  ton::Address proxy_contract, contract;
  try {
    proxy_contract = ton::Address::parse(info.proxy_contract());
    contract = ton::Address::parse(info.party_contract());
  } catch (const std::exception& e) {
    a.problem = std::string("the proxy sent a malformed contract address: ") + e.what();
    return;
  }
  if (!(proxy_contract == a.proxy_contract) || !(contract == a.contract)) {
    // Another contract (the network's params changed and the proxy moved to a new contract):
    // amounts signed for the old one say nothing about the new one, which starts at zero.
    if (a.verified)
      spdlog::info("proxy {} now settles through contract {} (was {}): our contract there is {}", a.proxy_key.substr(0, 16),
                   proxy_contract.to_friendly(), a.proxy_contract.to_friendly(), contract.to_friendly());
    a.verified = false;
    a.chain.reset();
    a.signed_tokens = 0;
    a.signed_body_boc.clear();
  }
  a.proxy_contract = proxy_contract;
  a.contract = contract;
  a.available_nano = info.available_nano();
  a.price_per_token = info.price_per_token();
  a.ready = a.verified && a.dropped.empty() && info.balance_nano() > 0 && info.stake_nano() > 0;
  if (!a.dropped.empty())
    a.problem = "this client no longer pays through the proxy: " + a.dropped;
  else if (a.ready)
    a.problem.clear();
  else if (a.verified)
    a.problem = "the client contract is not funded yet";
  // Chain work only when something needs doing: verify, deploy, top up, restore the stake.
  bool low = settings_.auto_topup && info.balance_nano() < settings_.topup_below_nano;
  if (!a.verified || info.balance_nano() == 0 || low || info.stake_nano() < settings_.stake_nano)
    schedule_upkeep(a.proxy_key);
}

void ClientBilling::on_payment(Account& a, const proto::PaymentUpdate& update) {
  auto refuse = [&](const std::string& why) {
    ++a.refused_updates;
    spdlog::warn("refused a signed charge from proxy {}: {}", a.proxy_key.substr(0, 16), why);
  };
  if (!a.verified || !chain_policy_->registry()) return refuse("the proxy's contract is not verified yet");
  try {
    auto cell = ton::deserialize_boc_single(
        std::span(reinterpret_cast<const uint8_t*>(update.signed_body_boc().data()), update.signed_body_boc().size()));
    auto body = contracts::parse_signed_body(cell);
    auto key = billing::public_key_from_hex(a.proxy_key, "the proxy key");
    int code = contracts::check_signed_body(body, key, a.contract, chain_policy_->registry()->network().root);
    if (code != 0) return refuse("the client contract would refuse it (error " + std::to_string(code) + ")");
    if (body.op != contracts::op::kClientCharge) return refuse("not a client charge");
    // Signed charges are cumulative: one below what the proxy signed before, or below what it has
    // already charged on chain, means its books went back (a rolled-back, cloned or cheating proxy).
    // Its later amounts cannot be trusted: no more paid requests through it.
    uint64_t floor = std::max(a.signed_tokens, a.chain ? a.chain->tokens_used : 0);
    if (body.payload.amount < floor) {
      ++a.lowered_charges;
      std::string why = "its signed charge went down to " + std::to_string(body.payload.amount) +
                        " tokens, below the " + std::to_string(floor) + " it " +
                        (floor == a.signed_tokens ? "signed before" : "has already charged on chain") +
                        " (a rolled-back, cloned or cheating proxy)";
      if (a.dropped.empty()) spdlog::error("dropping proxy {}: {}", a.proxy_key.substr(0, 16), why);
      a.dropped = why;
      a.ready = false;
      a.problem = "this client no longer pays through the proxy: " + why;
      return refuse(why);
    }
    if (body.payload.amount <= a.signed_tokens) return;  // a replay: nothing new
    a.signed_tokens = body.payload.amount;
    a.signed_body_boc = update.signed_body_boc();
  } catch (const std::exception& e) {
    return refuse(std::string("malformed signed body: ") + e.what());
  }
  schedule_upkeep(a.proxy_key);
}

void ClientBilling::record_cost(const net::Connection& conn, const proto::Billing& b) {
  auto it = accounts_.find(conn.peer_identity().public_key_hex);
  if (it == accounts_.end()) return;
  it->second.spent_nano += b.cost_nano();
  it->second.requests++;
  if (b.available_nano() || b.cost_nano()) it->second.available_nano = b.available_nano();
}

std::string ClientBilling::check_charge(const proto::WorkerReceipt* worker, const proto::Usage& usage,
                                        const proto::ProxyCountersign* countersign,
                                        const proto::Billing& billing,
                                        const billing::ReceivedBound* received) const {
  auto registry = chain_policy_->registry();
  if (!registry) return "";  // prices unknown until the registry is read; later answers are checked
  return billing::charge_problem(worker, usage, countersign, billing, billing::Prices::from_params(registry->params),
                                 received);
}

void ClientBilling::drop_proxy(const net::Connection& conn, const std::string& why) {
  auto it = accounts_.find(conn.peer_identity().public_key_hex);
  if (it == accounts_.end()) return;
  Account& a = it->second;
  if (a.dropped.empty()) spdlog::error("dropping proxy {}: {}", a.proxy_key.substr(0, 16), why);
  ++a.overcharges;
  a.dropped = why;
  a.ready = false;
  a.problem = "this client no longer pays through the proxy: " + why;
}

std::string ClientBilling::not_ready(const net::Connection& conn) const {
  auto it = accounts_.find(conn.peer_identity().public_key_hex);
  if (it == accounts_.end()) return "no billing info from this proxy yet";
  return it->second.ready ? "" : it->second.problem;
}

void ClientBilling::schedule_upkeep(const std::string& proxy_key) {
  auto& a = accounts_[proxy_key];
  if (a.busy) return;
  a.busy = true;
  agent_->submit("client contract upkeep", [this, proxy_key]() -> asio::awaitable<void> {
    try {
      co_await upkeep(proxy_key);
    } catch (const std::exception& e) {
      auto& account = accounts_[proxy_key];
      account.busy = false;
      account.problem = std::string("client contract upkeep failed: ") + e.what();
      // Not verified (not registered yet, the registry not read yet, …): ask the proxy again in a
      // while; its BillingInfo brings us back here.
      if (!account.verified) hello_later(account.conn, std::chrono::seconds(5));
      throw;
    }
    accounts_[proxy_key].busy = false;
  });
}

asio::awaitable<void> ClientBilling::upkeep(std::string proxy_key) {
  auto& a = accounts_[proxy_key];
  bool sent = false;
  if (!a.verified) {
    co_await verify(a);
    sent = true;  // tell the proxy again: its answer then marks us ready
  }
  co_await reread(a);
  if (a.chain && a.chain->state != 0) {
    a.ready = false;
    a.problem = "the client contract " + a.contract.to_friendly() +
                " is closing or closed: no paid requests through this proxy";
    co_return;
  }
  uint64_t balance = a.chain ? a.chain->balance : 0, stake = a.chain ? a.chain->stake : 0;
  bool deployed = a.chain && a.chain->state == 0;
  if (!deployed || (settings_.auto_topup && balance < settings_.topup_below_nano) || stake < settings_.stake_nano) {
    uint64_t amount = !deployed || balance < settings_.topup_below_nano ? settings_.deposit_nano : 0;
    uint64_t min_stake = chain_policy_->registry()->params.min_client_stake;
    uint64_t want_stake = std::max(settings_.stake_nano, min_stake);
    co_await top_up(a, amount, stake < want_stake ? want_stake - stake : 0);
    sent = true;
  }
  // Uncharged usage beyond half the stake would soon block requests: pay it on chain.
  if (a.chain && a.signed_tokens > a.chain->tokens_used &&
      billing::checked_mul(a.signed_tokens - a.chain->tokens_used, a.price_per_token) * 2 >=
          std::max<uint64_t>(1, a.chain->stake)) {
    co_await submit_charge(a);
    sent = true;
  }
  if (sent)
    if (auto c = a.conn.lock(); c && c->open()) send_hello(c);  // the proxy re-reads the contract
}

asio::awaitable<void> ClientBilling::verify(Account& a) {
  auto registry = chain_policy_->registry();
  if (!registry) throw std::runtime_error("the registry has not been read yet");
  auto network = registry->network();
  auto pd = co_await contracts::read_proxy_data(agent_->client(), a.proxy_contract);
  auto key = billing::public_key_from_hex(a.proxy_key, "the proxy key");
  if (auto why = billing::proxy_standing_refusal(*registry, key, a.proxy_contract, pd); !why.empty()) {
    if (a.proxy_refused != why) spdlog::error("refusing proxy {}: {}", a.proxy_key.substr(0, 16), why);
    a.proxy_refused = why;
    ++a.proxy_refusals;
    throw std::runtime_error("proxy refused: " + why);
  }
  a.proxy_refused.clear();
  auto expected = network.client_address(agent_->wallet_address(), a.proxy_contract, key);
  if (!(expected == a.contract))
    throw std::runtime_error("the proxy named client contract " + a.contract.to_friendly() + " but ours is " +
                             expected.to_friendly());
  a.verified = true;
  spdlog::info("proxy {} verified on chain: contract {}, our client contract {}", a.proxy_key.substr(0, 16),
               a.proxy_contract.to_friendly(), a.contract.to_friendly());
}

asio::awaitable<void> ClientBilling::reread(Account& a) {
  auto data = co_await contracts::read_client_data_if_deployed(agent_->client(), a.contract);
  a.chain = data;
}

asio::awaitable<void> ClientBilling::top_up(Account& a, uint64_t amount, uint64_t stake) {
  if (amount == 0 && stake == 0) co_return;
  const std::string wallet_raw = agent_->wallet_address().to_raw();
  auto info = co_await agent_->client().get_wallet_information(wallet_raw);
  if (auto refusal = contracts::client_funding_refusal(info.balance, amount, stake))
    throw BillingActionError(400, *refusal);
  const contracts::ClientContractRef ref{chain_policy_->registry()->network(), agent_->wallet_address(),
                                         a.proxy_contract, billing::public_key_from_hex(a.proxy_key, "proxy key")};
  auto messages = contracts::client_funding_messages(ref, amount, stake, a.chain.has_value());
  spdlog::info("funding client contract {}: +{} TON balance, +{} TON stake", a.contract.to_friendly(),
               ton::format_ton(amount), ton::format_ton(stake));
  co_await agent_->send(std::move(messages));
  ++a.topups;
  co_await reread(a);
}

asio::awaitable<void> ClientBilling::submit_charge(Account& a) {
  if (a.signed_body_boc.empty() || !a.chain || a.signed_tokens <= a.chain->tokens_used) co_return;
  auto body = ton::deserialize_boc_single(
      std::span(reinterpret_cast<const uint8_t*>(a.signed_body_boc.data()), a.signed_body_boc.size()));
  auto message = contracts::client_message(a.contract, body);
  co_await agent_->send_one(std::move(message));
  ++a.charges_submitted;
  co_await reread(a);
}

asio::awaitable<nlohmann::json> ClientBilling::act(Action action, uint64_t amount, uint64_t stake, std::string proxy) {
  std::vector<std::string> keys;
  for (auto& [key, a] : accounts_)
    if ((proxy.empty() || key == proxy) && a.verified) keys.push_back(key);
  if (keys.empty())
    throw BillingActionError(400, proxy.empty() ? "no client contract is set up yet (no proxy has been verified)"
                                                : "no verified proxy with key " + proxy);
  nlohmann::json out = nlohmann::json::array();
  for (auto& key : keys) {
    // Named before the co_await: GCC 12 destroys temporaries of a co_await expression twice.
    ton::ChainAgent::Job job = [this, key, action, amount, stake]() -> asio::awaitable<void> {
      auto& a = accounts_[key];
      co_await reread(a);
      if (action == Action::TopUp) {
        co_await top_up(a, amount, stake);
      } else if (action == Action::Charge) {
        co_await submit_charge(a);
      } else {
        if (!a.chain)
          throw BillingActionError(
              400, "no client contract at " + a.contract.to_friendly() + ": nothing to withdraw or close");
        if (auto refusal = action == Action::Withdraw ? contracts::client_withdraw_refusal(a.chain->balance, amount)
                                                      : std::nullopt)
          throw BillingActionError(400, *refusal);
        uint64_t before = a.chain->balance;
        auto body = action == Action::Withdraw ? contracts::client_body::withdraw(amount, 3)
                                               : contracts::client_body::request_close(4);
        auto message = contracts::client_message(a.contract, body);
        co_await agent_->send_one(std::move(message));
        co_await reread(a);
        if (action == Action::Withdraw && a.chain && a.chain->balance + amount != before)
          throw BillingActionError(409, "the client contract refused the withdrawal; balance stays " +
                                            ton::format_ton(a.chain->balance) + " TON");
      }
      if (auto c = a.conn.lock(); c && c->open()) send_hello(c);
    };
    std::string what = "owner action";
    co_await agent_->call(std::move(what), std::move(job));
    out.push_back(account_json(accounts_[key]));
  }
  co_return out;
}

nlohmann::json ClientBilling::account_json(const Account& a) const {
  nlohmann::json j = {{"proxy_key", a.proxy_key},
                      {"ready", a.ready},
                      {"problem", a.problem},
                      {"verified", a.verified},
                      {"proxy_contract", a.verified ? a.proxy_contract.to_friendly() : ""},
                      {"contract", a.verified ? a.contract.to_friendly() : ""},
                      {"available_nano", std::to_string(a.available_nano)},
                      {"signed_charge_tokens", a.signed_tokens},
                      {"spent_nano", std::to_string(a.spent_nano)},
                      {"paid_requests", a.requests},
                      {"topups", a.topups},
                      {"charges_submitted", a.charges_submitted},
                      {"refused_updates", a.refused_updates},
                      {"proxy_refused", a.proxy_refused},
                      {"dropped", a.dropped},
                      {"lowered_charges", a.lowered_charges},
                      {"overcharges", a.overcharges},
                      {"proxy_refusals", a.proxy_refusals}};
  if (a.chain) {
    j["balance_nano"] = std::to_string(a.chain->balance);
    j["stake_nano"] = std::to_string(a.chain->stake);
    j["charged_on_chain_tokens"] = a.chain->tokens_used;
    j["state"] = a.chain->state;
  }
  return j;
}

nlohmann::json ClientBilling::stats() const {
  nlohmann::json accounts = nlohmann::json::array();
  for (auto& [key, a] : accounts_) accounts.push_back(account_json(a));
  return {{"enabled", true},
          {"wallet", agent_->wallet_address().to_friendly()},
          {"accounts", accounts},
          {"chain", agent_->stats()}};
}

}  // namespace chrysalis::client
