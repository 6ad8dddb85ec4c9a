#pragma once
// The attestation policy read from the network's root contract: the allowed proxy and worker
// image hashes and model hashes come from the chain (refreshed in the background), everything
// else (trusted roots, maximum certificate age, measurement constraints, pinned clients) from
// the node's configuration. A registry that could not be read for longer than the configured
// age makes the policy refuse every peer: a node never serves on stale allow-lists.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attest/policy/policy.h"
#include "attest/policy/registry_settings.h"
#include "ton/contracts/root_registry.h"

namespace chrysalis::attest {

class ChainPolicySource : public PolicySource, public std::enable_shared_from_this<ChainPolicySource> {
 public:
  ChainPolicySource(boost::asio::any_io_executor ex, Policy base, RegistrySettings settings);
  // Starts the refresh loop (first read at once).
  void start();
  void stop();
  // Reads the registry again now instead of at the next refresh (after a change this node sent).
  void refresh_now();
  std::shared_ptr<const Policy> current() const override;
  // The last registry read, if any (prices, proxies, codes: the payment layer uses them).
  std::optional<ton::contracts::RootRegistry> registry() const { return registry_; }
  // Empty while the registry is fresh; else why the node refuses to serve.
  std::string unavailable_reason() const;
  nlohmann::json stats() const;
  // Called after a registry read that changed an allow-list (live connections are re-checked).
  void on_change(std::function<void()> fn) { on_change_ = std::move(fn); }
  // Called after every successful read (proxy discovery follows the root's proxy list).
  void on_registry(std::function<void(const ton::contracts::RootRegistry&)> fn) {
    registry_listeners_.push_back(std::move(fn));
  }

 private:
  boost::asio::awaitable<void> refresh_loop();
  void adopt(ton::contracts::RootRegistry registry);

  boost::asio::any_io_executor ex_;
  Policy base_;
  RegistrySettings settings_;
  ton::Address root_;
  std::shared_ptr<const Policy> snapshot_;
  std::optional<ton::contracts::RootRegistry> registry_;
  int64_t fetched_at_s_ = 0;
  uint64_t reads_ = 0, failures_ = 0;
  std::string last_error_;
  std::shared_ptr<bool> stopped_ = std::make_shared<bool>(false);
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::function<void()> on_change_;
  std::vector<std::function<void(const ton::contracts::RootRegistry&)>> registry_listeners_;
};

}  // namespace chrysalis::attest
