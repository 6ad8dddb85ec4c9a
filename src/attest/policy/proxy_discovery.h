#pragma once
// Which proxies a client or worker dials when its configuration names none: the proxies the
// network's root contract lists. Each entry is checked before it is dialed (a parseable
// endpoint, one entry per key); when the root lists more than the node wants, a stable
// per-node choice (rendezvous hashing on the node's key) spreads nodes across proxies and keeps
// each node's choice when unrelated entries come and go.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "attest/policy/chain_policy_source.h"
#include "net/dialer_set.h"
#include "ton/contracts/root_registry.h"

namespace chrysalis::attest {


enum class ProxySide { workers, clients };  // which of a proxy's endpoints the node dials

struct DiscoveredProxies {
  std::vector<net::DialTarget> targets;  // chosen, at most `max`
  size_t listed = 0;                     // entries in the root
  size_t usable = 0;                     // entries that passed the checks
  std::vector<std::string> skipped;      // why each refused entry was refused
};

DiscoveredProxies discover_proxies(const ton::contracts::RootRegistry& registry, ProxySide side, size_t max,
                                   const std::string& node_key_hex);

nlohmann::json to_json(const DiscoveredProxies& found);

// Hands a node its proxies: the configured ones once, or — when the configuration names none —
// the root's list after every registry read.
class ProxyTargetsFeed {
 public:
  using Apply = std::function<void(std::vector<net::DialTarget>)>;
  ProxyTargetsFeed(std::vector<Endpoint> configured, std::shared_ptr<ChainPolicySource> chain, ProxySide side,
                   size_t max, std::string node_key_hex, Apply apply);
  ~ProxyTargetsFeed() { *alive_ = false; }
  void start();
  bool from_registry() const { return configured_.empty(); }
  nlohmann::json stats() const;

 private:
  void adopt(const ton::contracts::RootRegistry& registry);

  std::vector<Endpoint> configured_;
  std::shared_ptr<ChainPolicySource> chain_;
  ProxySide side_;
  size_t max_;
  std::string node_key_hex_;
  Apply apply_;
  DiscoveredProxies last_;
  uint32_t registry_version_ = 0;
  uint64_t changes_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace chrysalis::attest
