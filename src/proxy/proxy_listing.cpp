#include "proxy/proxy_listing.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/time.h"
#include "ton/cells/encoding.h"
#include "ton/contracts/chrysalis_contracts.h"
#include "ton/contracts/contract_messages.h"
#include "ton/wallet/wallet_sender.h"

namespace chrysalis::proxy {

namespace asio = boost::asio;
namespace contracts = ton::contracts;

ProxyListing::ProxyListing(ton::ChainAgent& agent, std::shared_ptr<attest::ChainPolicySource> chain,
                           ton::Ed25519Key key, ton::Address proxy_contract, ton::Address root,
                           ListingSettings settings)
    : agent_(agent),
      chain_(std::move(chain)),
      key_(std::move(key)),
      contract_(std::move(proxy_contract)),
      root_(std::move(root)),
      settings_(std::move(settings)) {}

void ProxyListing::start() {
  std::weak_ptr<bool> alive = alive_;
  chain_->on_registry([this, alive](const contracts::RootRegistry& registry) {
    if (auto a = alive.lock(); a && *a) check(registry);
  });
  if (auto registry = chain_->registry()) check(*registry);
}

void ProxyListing::check(const contracts::RootRegistry& registry) {
  auto it = std::find_if(registry.proxies.begin(), registry.proxies.end(), [&](const contracts::RegisteredProxy& p) {
    return p.entry.public_key == key_.public_key() && p.entry.workers_endpoint == settings_.workers_endpoint &&
           p.entry.clients_endpoint == settings_.clients_endpoint;
  });
  if (it != registry.proxies.end()) {
    if (!listed_ || seqno_ != it->seqno)
      spdlog::info("listed in root {} as proxy {}: workers dial {}, clients dial {}", registry.address.to_friendly(),
                   it->seqno, settings_.workers_endpoint, settings_.clients_endpoint);
    listed_ = true;
    seqno_ = it->seqno;
    unconfirmed_ = 0;
    last_error_.clear();
    return;
  }
  if (listed_) {
    // Taken off by the proxy's owner (wallet proxy-listing --delist, a close) or the root's owner:
    // their decision stands until the proxy starts again.
    removed_ = true;
    spdlog::warn("the root no longer lists this proxy: it stays off the list until it restarts");
  }
  listed_ = false;
  if (removed_ || in_flight_ || steady_now_us() < next_try_us_) return;
  announce();
}

void ProxyListing::announce() {
  in_flight_ = true;
  ++announcements_;
  // Waits longer after each announcement the root did not show: 20 s, 40 s, … at most 10 min.
  int64_t wait_s = std::min<int64_t>(600, int64_t{20} << std::min<uint32_t>(unconfirmed_, 5));
  ++unconfirmed_;
  next_try_us_ = steady_now_us() + wait_s * 1'000'000;
  spdlog::info("asking proxy contract {} to list this proxy in the root (workers {}, clients {})",
               contract_.to_friendly(), settings_.workers_endpoint, settings_.clients_endpoint);
  std::weak_ptr<bool> alive = alive_;
  auto body = contracts::proxy_body::announce(contract_, root_, settings_.workers_endpoint, settings_.clients_endpoint,
                                              key_);
  auto message = ton::bounceable_message(contract_, contracts::kGasAttached, body);
  ton::ChainAgent* agent = &agent_;  // outlives this object: it runs the job
  agent_.submit("list the proxy in the root", [this, alive, agent, message]() -> asio::awaitable<void> {
    try {
      co_await agent->send_one(message);
    } catch (const std::exception& e) {
      if (auto a = alive.lock(); a && *a) {
        last_error_ = e.what();
        in_flight_ = false;
      }
      throw;
    }
    if (auto a = alive.lock(); a && *a) {
      in_flight_ = false;
      chain_->refresh_now();  // confirm the listing without waiting a whole refresh
    }
  });
}

nlohmann::json ProxyListing::stats() const {
  return {{"enabled", settings_.enabled},
          {"listed", listed_},
          {"removed", removed_},
          {"seqno", seqno_},
          {"workers_endpoint", settings_.workers_endpoint},
          {"clients_endpoint", settings_.clients_endpoint},
          {"proxy_contract", contract_.to_friendly()},
          {"announcements", announcements_},
          {"last_error", last_error_}};
}

}  // namespace chrysalis::proxy
