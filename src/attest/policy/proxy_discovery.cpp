#include "attest/policy/proxy_discovery.h"

#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "ton/cells/encoding.h"

namespace chrysalis::attest {

namespace {

// Rendezvous weight of (node, proxy key): the node keeps the proxies with the lowest weights.
std::string weight(const std::string& node_key_hex, const std::string& proxy_key_hex) {
  std::string input = node_key_hex + "/" + proxy_key_hex;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

}  // namespace

DiscoveredProxies discover_proxies(const ton::contracts::RootRegistry& registry, ProxySide side, size_t max,
                                   const std::string& node_key_hex) {
  DiscoveredProxies out;
  out.listed = registry.proxies.size();
  std::map<std::string, net::DialTarget> by_key;  // a key listed twice: the newest entry wins
  for (const auto& p : registry.proxies) {
    const std::string key = ton::to_hex(p.entry.public_key);
    const std::string& text = side == ProxySide::workers ? p.entry.workers_endpoint : p.entry.clients_endpoint;
    const std::string source = "root seqno " + std::to_string(p.seqno);
    if (text.empty()) {
      out.skipped.push_back(source + ": no " + (side == ProxySide::workers ? "workers" : "clients") + " endpoint");
      continue;
    }
    try {
      by_key[key] = net::DialTarget{parse_endpoint(text), key, source};
    } catch (const std::exception& e) {
      out.skipped.push_back(source + ": " + e.what());
    }
  }
  out.usable = by_key.size();
  std::vector<std::pair<std::string, net::DialTarget>> ranked;
  for (auto& [key, target] : by_key) ranked.emplace_back(weight(node_key_hex, key), std::move(target));
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < ranked.size() && i < max; ++i) out.targets.push_back(std::move(ranked[i].second));
  return out;
}

nlohmann::json to_json(const DiscoveredProxies& found) {
  nlohmann::json chosen = nlohmann::json::array();
  for (auto& t : found.targets)
    chosen.push_back({{"endpoint", t.endpoint.to_string()}, {"public_key", t.expected_key_hex}, {"source", t.source}});
  return {{"listed", found.listed}, {"usable", found.usable}, {"chosen", chosen}, {"skipped", found.skipped}};
}

ProxyTargetsFeed::ProxyTargetsFeed(std::vector<Endpoint> configured, std::shared_ptr<ChainPolicySource> chain,
                                   ProxySide side, size_t max, std::string node_key_hex, Apply apply)
    : configured_(std::move(configured)),
      chain_(std::move(chain)),
      side_(side),
      max_(max),
      node_key_hex_(std::move(node_key_hex)),
      apply_(std::move(apply)) {}

void ProxyTargetsFeed::start() {
  if (!configured_.empty()) {
    std::vector<net::DialTarget> targets;
    for (auto& e : configured_) targets.push_back({e, "", "config"});
    apply_(std::move(targets));
    return;
  }
  if (!chain_) return;  // the config loader refuses this: no proxies and no registry
  std::weak_ptr<bool> alive = alive_;
  chain_->on_registry([this, alive](const ton::contracts::RootRegistry& registry) {
    if (auto a = alive.lock(); a && *a) adopt(registry);
  });
  if (auto registry = chain_->registry()) adopt(*registry);
}

void ProxyTargetsFeed::adopt(const ton::contracts::RootRegistry& registry) {
  auto found = discover_proxies(registry, side_, max_, node_key_hex_);
  auto endpoints = [](const DiscoveredProxies& d) {
    std::vector<std::string> out;
    for (auto& t : d.targets) out.push_back(t.endpoint.to_string() + "/" + t.expected_key_hex);
    return out;
  };
  bool changed = endpoints(found) != endpoints(last_) || changes_ == 0;
  registry_version_ = registry.version;
  for (auto& why : found.skipped)
    if (std::find(last_.skipped.begin(), last_.skipped.end(), why) == last_.skipped.end())
      spdlog::warn("proxy discovery: root entry refused: {}", why);
  last_ = std::move(found);
  if (!changed) return;
  ++changes_;
  spdlog::info("proxy discovery: the root (version {}) lists {} proxies; dialing {}", registry.version, last_.listed,
               last_.targets.size());
  apply_(last_.targets);
}

nlohmann::json ProxyTargetsFeed::stats() const {
  if (!configured_.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (auto& e : configured_) list.push_back(e.to_string());
    return {{"source", "config"}, {"configured", list}};
  }
  auto j = to_json(last_);
  j["source"] = "root";
  j["max"] = max_;
  j["registry_version"] = registry_version_;
  j["changes"] = changes_;
  return j;
}

}  // namespace chrysalis::attest
