#include "worker/worker_billing.h"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/time.h"

#include "billing/owner_proof.h"
#include "billing/billing_hello.h"
#include "billing/pricing.h"
#include "billing/proxy_standing.h"
#include "ton/cells/boc.h"
#include "ton/contracts/chrysalis_contracts.h"
#include "ton/contracts/contract_get_methods.h"
#include "ton/contracts/contract_init.h"
#include "ton/wallet/wallet_sender.h"

namespace chrysalis::worker {

namespace asio = boost::asio;
namespace contracts = ton::contracts;

namespace {
constexpr uint64_t kGas = contracts::kGasAttached;  // ≥ the 0.05 TON a forwarded payout needs
constexpr int kRunning = static_cast<int>(contracts::ContractState::active);

const char* state_name(int state) {
  switch (state) {
    case -1:
      return "unknown";
    case 0:
      return "running";
    case 1:
      return "closing";
    default:
      return "closed";
  }
}
}  // namespace

WorkerBilling::WorkerBilling(asio::any_io_executor ex, billing::BillingSettings settings,
                             attest::RegistrySettings registry, std::shared_ptr<attest::ChainPolicySource> chain_policy,
                             std::filesystem::path state_dir)
    : ex_(ex),
      settings_(std::move(settings)),
      chain_policy_(std::move(chain_policy)),
      state_dir_(std::move(state_dir)) {
  agent_ = std::make_unique<ton::ChainAgent>(ex_, registry.endpoint, registry.api_key,
                                             ton::load_wallet_key(settings_.wallet_key));
}

void WorkerBilling::start() {
  agent_->start();
  asio::co_spawn(ex_, watch_loop(), asio::detached);
}

void WorkerBilling::stop() {
  *stopped_ = true;
  agent_->stop();
}

asio::awaitable<void> WorkerBilling::watch_loop() {
  auto stopped = stopped_;
  asio::steady_timer timer(ex_);
  while (!*stopped) {
    timer.expires_after(std::chrono::seconds(settings_.proxy_watch_s));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (*stopped) co_return;
    std::vector<std::string> keys;
    for (auto& [key, p] : proxies_)
      if (p.verified) keys.push_back(key);
    for (auto& key : keys) {
      try {
        co_await watch_one(key);
      } catch (const std::exception& e) {
        if (*stopped) co_return;
        ++watch_failures_;
        spdlog::warn("reading proxy {}'s contract failed: {}", key.substr(0, 16), e.what());
      }
      if (*stopped) co_return;
    }
    // What a dropped proxy signed before it cheated is claimed like anything else (it backs off on failure).
    if (ensure_book())
      for (auto& proxy : book_->due(1))
        if (book_->record(proxy)->dropped) schedule_claim(proxy, "the proxy was dropped");
  }
}

asio::awaitable<void> WorkerBilling::watch_one(std::string proxy_key) {
  auto stopped = stopped_;
  ton::Address contract = proxies_[proxy_key].proxy_contract;
  auto pd = co_await contracts::read_proxy_data(agent_->client(), contract);
  if (*stopped) co_return;
  auto& p = proxies_[proxy_key];
  int state = static_cast<int>(pd.state);
  bool changed = p.contract_state != state && (state != kRunning || p.contract_state > kRunning);
  if (state != kRunning && p.contract_state != state)
    spdlog::warn("proxy {}'s contract {} is {}: claiming everything it signed now", proxy_key.substr(0, 16),
                 contract.to_friendly(), state_name(state));
  p.contract_state = state;
  if (changed && on_refusals_changed_) on_refusals_changed_();  // the worker no longer serves it
  if (state != kRunning && ensure_book() && book_->unclaimed_nano(proxy_key) > 0)
    schedule_claim(proxy_key, "the proxy's contract is closing");
}

void WorkerBilling::schedule_claim(const std::string& proxy_key, const char* why) {
  auto& p = proxies_[proxy_key];
  if (p.busy || unix_now_us() / 1000000 < p.next_claim_at_s) return;
  p.busy = true;
  spdlog::info("claiming from proxy {}: {}", proxy_key.substr(0, 16), why);
  agent_->submit("claim", [this, proxy_key]() -> asio::awaitable<void> {
    auto& account = proxies_[proxy_key];
    try {
      co_await claim_one(proxy_key);
      account.claim_failures = 0;
      account.next_claim_at_s = 0;
      account.last_claim_error.clear();
    } catch (const std::exception& e) {
      // Each try costs gas: wait longer after every failure (up to ten minutes).
      ++account.claim_failures;
      account.last_claim_error = e.what();
      account.next_claim_at_s =
          unix_now_us() / 1000000 +
          std::min<int64_t>(600, settings_.proxy_watch_s * (int64_t{1} << std::min(account.claim_failures, 10u)));
      account.busy = false;
      throw;
    }
    account.busy = false;
  });
}

std::string WorkerBilling::owner_address() const { return agent_->wallet_address().to_raw(); }

proto::BillingHello WorkerBilling::owner_proof(const std::string& own_tls_hex, const std::string& proxy_tls_hex) const {
  const auto& wallet = agent_->wallet_key();
  return billing::make_owner_proof(wallet.key, wallet.workchain, own_tls_hex, proxy_tls_hex);
}

bool WorkerBilling::ensure_book() {
  if (book_) return true;
  auto registry = chain_policy_->registry();
  if (!registry) return false;
  std::filesystem::create_directories(state_dir_);
  book_ = std::make_unique<billing::PayoutBook>(registry->network().root, registry->params.worker_fee_per_token,
                                                state_dir_ / "payouts.json");
  return true;
}

void WorkerBilling::on_proxy_frame(const std::shared_ptr<net::Connection>& conn, const proto::Frame& frame) {
  const std::string key = conn->peer_identity().public_key_hex;
  auto& p = proxies_[key];
  if (frame.has_billing_info()) {
    const auto& info = frame.billing_info();
    if (!info.enabled()) return;
    if (!info.error().empty()) {
      p.problem = "proxy: " + info.error();
      return;
    }
    try {
      auto proxy_contract = ton::Address::parse(info.proxy_contract());
      auto contract = ton::Address::parse(info.party_contract());
      if (!(proxy_contract == p.proxy_contract) || !(contract == p.contract)) p.verified = false;
      p.proxy_contract = proxy_contract;
      p.contract = contract;
    } catch (const std::exception& e) {
      p.problem = std::string("the proxy sent a malformed contract address: ") + e.what();
      return;
    }
    if (!p.verified) schedule_verify(key);
    return;
  }
  if (frame.has_payment_update()) on_payment_update(conn, frame.payment_update());
}

void WorkerBilling::on_payment_update(const std::shared_ptr<net::Connection>& conn,
                                      const proto::PaymentUpdate& update) {
  const std::string key = conn->peer_identity().public_key_hex;
  auto& p = proxies_[key];
  auto refuse = [&](const std::string& why) {
    ++refused_updates_;
    last_refusal_ = why;
    spdlog::warn("refused a signed payout from proxy {}: {}", key.substr(0, 16), why);
  };
  if (!p.verified || !ensure_book()) {
    p.waiting_update = update;
    p.waiting_from = conn;
    return;
  }
  const auto& boc = update.signed_body_boc();
  ton::CellRef body;
  try {
    body = ton::deserialize_boc_single(std::span(reinterpret_cast<const uint8_t*>(boc.data()), boc.size()));
  } catch (const std::exception& e) {
    return refuse(std::string("malformed BoC: ") + e.what());
  }
  auto result = book_->accept(billing::public_key_from_hex(key, "the proxy key"), p.contract, body);
  using V = billing::PayoutBook::Verdict;
  if (result.verdict == V::Refused) return refuse(result.reason);
  if (result.verdict == V::Dropped) {
    spdlog::error("dropping proxy {}: {}", key.substr(0, 16), result.reason);
    conn->close("this worker no longer serves the proxy: " + result.reason);
    // The best amount it signed before is still valid on chain: claim it before the proxy can leave.
    if (book_->unclaimed_nano(key) > 0) schedule_claim(key, "the proxy was dropped");
    return;
  }
  if (result.verdict == V::Accepted) {
    // A closing proxy is claimed from at once, whatever the threshold.
    bool closing = p.contract_state > kRunning && book_->unclaimed_nano(key) > 0;
    if (closing) schedule_claim(key, "the proxy's contract is closing");
    for (auto& proxy : book_->due(settings_.claim_threshold_nano)) schedule_claim(proxy, "above the claim threshold");
  }
}

void WorkerBilling::verify_later(const std::string& proxy_key) {
  auto timer = std::make_shared<asio::steady_timer>(ex_, std::chrono::seconds(5));
  auto stopped = stopped_;
  timer->async_wait([this, timer, stopped, proxy_key](boost::system::error_code ec) {
    if (!ec && !*stopped && !proxies_[proxy_key].verified) schedule_verify(proxy_key);
  });
}

void WorkerBilling::schedule_verify(const std::string& proxy_key) {
  agent_->submit("verify proxy contract", [this, proxy_key]() -> asio::awaitable<void> {
    auto& p = proxies_[proxy_key];
    auto registry = chain_policy_->registry();
    if (!registry) throw std::runtime_error("the registry has not been read yet");
    auto network = registry->network();
    auto key = billing::public_key_from_hex(proxy_key, "the proxy key");
    auto pd = co_await contracts::read_proxy_data(agent_->client(), p.proxy_contract);
    if (auto why = billing::proxy_standing_refusal(*registry, key, p.proxy_contract, pd); !why.empty()) {
      bool changed = p.proxy_refused != why;
      if (changed) spdlog::error("refusing proxy {}: {}", proxy_key.substr(0, 16), why);
      p.proxy_refused = why;
      p.problem = "proxy refused: " + why;
      ++p.proxy_refusals;
      verify_later(proxy_key);  // it may be registered later
      if (changed && on_refusals_changed_) on_refusals_changed_();
      co_return;
    }
    if (!p.proxy_refused.empty()) {
      p.proxy_refused.clear();
      if (on_refusals_changed_) on_refusals_changed_();
    }
    auto expected = network.worker_address(agent_->wallet_address(), p.proxy_contract, key);
    if (!(expected == p.contract)) {
      p.problem =
          "the proxy named worker contract " + p.contract.to_friendly() + " but ours is " + expected.to_friendly();
      co_return;
    }
    p.verified = true;
    p.problem.clear();
    spdlog::info("proxy {} verified on chain: contract {}, our worker contract {}", proxy_key.substr(0, 16),
                 p.proxy_contract.to_friendly(), p.contract.to_friendly());
    if (auto update = std::exchange(p.waiting_update, std::nullopt))
      if (auto conn = p.waiting_from.lock()) on_payment_update(conn, *update);
  });
}

asio::awaitable<void> WorkerBilling::claim_one(const std::string& proxy_key) {
  auto record = book_->record(proxy_key);
  if (!record || record->signed_tokens <= record->claimed_tokens) co_return;
  auto& p = proxies_[proxy_key];
  auto& chain = agent_->client();
  const std::string& text = record->signed_body_boc;
  auto body = ton::boc_from_base64(text);
  std::optional<ton::StateInit> init;
  // The signature names our contract: the book knows it even for a proxy not seen since a restart.
  const auto contract = ton::Address::parse(record->worker_contract);
  const std::string raw = contract.to_raw();
  std::string state = co_await chain.get_address_state(raw);
  if (state != "active") {
    if (!p.verified)
      throw std::runtime_error("the worker contract " + contract.to_friendly() +
                               " is not deployed and this proxy's contract is not known yet");
    init = chain_policy_->registry()->network().worker_state_init(
        agent_->wallet_address(), p.proxy_contract, billing::public_key_from_hex(proxy_key, "the proxy key"));
  }
  auto message = ton::bounceable_message(contract, kGas, body, init);
  co_await agent_->send_one(std::move(message));
  auto wd = co_await contracts::read_worker_data(chain, contract);
  if (wd.tokens > record->claimed_tokens) {
    uint64_t paid = billing::worker_fee_nano(wd.tokens - record->claimed_tokens,
                                             billing::Prices::from_params(chain_policy_->registry()->params));
    p.paid_nano += paid;
    payout_history_.push_back({unix_now_us() / 1000000, proxy_key, record->claimed_tokens, wd.tokens, paid});
    if (payout_history_.size() > kPayoutHistory) payout_history_.pop_front();
    book_->mark_claimed(proxy_key, wd.tokens);
    ++p.claims;
    spdlog::info("claimed payout from proxy {}: worker contract at {} tokens", proxy_key.substr(0, 16), wd.tokens);
  } else {
    throw std::runtime_error("the worker contract did not move (the proxy contract may lack funds): tokens stay " +
                             std::to_string(wd.tokens));
  }
}

asio::awaitable<nlohmann::json> WorkerBilling::claim(bool all) {
  nlohmann::json out = nlohmann::json::array();
  if (!ensure_book()) co_return out;
  auto due = book_->due(all ? 1 : std::max<uint64_t>(1, settings_.claim_threshold_nano));
  for (auto& proxy : due) {
    std::string error;
    try {
      // Named before the co_await: GCC 12 destroys temporaries of a co_await expression twice.
      ton::ChainAgent::Job job = [this, proxy]() { return claim_one(proxy); };
      std::string what = "claim";
      co_await agent_->call(std::move(what), std::move(job));
    } catch (const std::exception& e) {
      error = e.what();
    }
    auto r = book_->record(proxy);
    out.push_back({{"proxy", proxy}, {"claimed_tokens", r ? r->claimed_tokens : 0}, {"error", error}});
  }
  co_return out;
}

std::string WorkerBilling::refusal(const std::string& proxy_key) const {
  if (auto it = proxies_.find(proxy_key); it != proxies_.end() && !it->second.proxy_refused.empty())
    return it->second.proxy_refused;
  if (auto it = proxies_.find(proxy_key); it != proxies_.end() && it->second.contract_state > kRunning)
    return std::string("its contract is ") + state_name(it->second.contract_state) +
           " (work done now might never be paid)";
  if (!book_) return "";
  auto r = book_->record(proxy_key);
  return r && r->dropped ? "dropped: " + r->drop_reason : "";
}

nlohmann::json WorkerBilling::payouts_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (auto it = payout_history_.rbegin(); it != payout_history_.rend(); ++it)
    out.push_back({{"at", it->at_s},
                   {"proxy_key", it->proxy_key},
                   {"from_tokens", it->from_tokens},
                   {"to_tokens", it->to_tokens},
                   {"paid_nano", std::to_string(it->paid_nano)}});
  return out;
}

nlohmann::json WorkerBilling::stats() const {
  nlohmann::json proxies = nlohmann::json::array();
  for (auto& [key, p] : proxies_) {
    nlohmann::json j = {{"proxy_key", key},
                        {"verified", p.verified},
                        {"problem", p.problem},
                        {"contract", p.verified ? p.contract.to_friendly() : ""},
                        {"claims", p.claims},
                        {"paid_nano", std::to_string(p.paid_nano)},
                        {"contract_state", state_name(p.contract_state)},
                        {"proxy_refused", p.proxy_refused},
                        {"proxy_refusals", p.proxy_refusals},
                        {"claim_failures", p.claim_failures},
                        {"last_claim_error", p.last_claim_error}};
    if (book_)
      if (auto r = book_->record(key)) {
        j["signed_tokens"] = r->signed_tokens;
        j["claimed_tokens"] = r->claimed_tokens;
        j["unclaimed_nano"] = std::to_string(book_->unclaimed_nano(key));
        j["dropped"] = r->dropped;
        j["drop_reason"] = r->drop_reason;
      }
    proxies.push_back(j);
  }
  return {{"enabled", true},
          {"wallet", agent_->wallet_address().to_friendly()},
          {"claim_threshold_nano", std::to_string(settings_.claim_threshold_nano)},
          {"refused_updates", refused_updates_},
          {"proxy_watch_s", settings_.proxy_watch_s},
          {"watch_failures", watch_failures_},
          {"last_refusal", last_refusal_},
          {"proxies", proxies},
          {"payouts", payouts_json()},
          {"payouts_kept", kPayoutHistory},
          {"chain", agent_->stats()}};
}

}  // namespace chrysalis::worker
