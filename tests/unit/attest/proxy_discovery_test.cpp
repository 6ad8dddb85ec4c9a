// Which proxies a node dials when its config names none: the root's list, checked entry by entry,
// and a stable per-node choice when the root lists more than the node wants.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "attest/policy/proxy_discovery.h"
#include "attest/policy/proxy_endpoints_config.h"
#include "common/toml_reader.h"
#include "support/temp_dir.h"

namespace chrysalis::attest {
namespace {

using ton::contracts::RegisteredProxy;
using ton::contracts::RootRegistry;

RegisteredProxy entry(uint32_t seqno, uint8_t key, std::string workers, std::string clients) {
  RegisteredProxy p;
  p.seqno = seqno;
  p.entry.public_key.fill(key);
  p.entry.workers_endpoint = std::move(workers);
  p.entry.clients_endpoint = std::move(clients);
  return p;
}

RootRegistry registry_of(std::vector<RegisteredProxy> proxies) {
  RootRegistry r;
  r.proxies = std::move(proxies);
  return r;
}

std::set<std::string> endpoints(const DiscoveredProxies& d) {
  std::set<std::string> out;
  for (auto& t : d.targets) out.insert(t.endpoint.to_string());
  return out;
}

TEST(ProxyDiscovery, DialsEachListedProxyAtTheEndpointOfItsSideAndExpectsItsKey) {
  auto r = registry_of({entry(1, 0xaa, "10.0.0.1:9001", "10.0.0.1:9002"), entry(2, 0xbb, "w.example:1", "c.example:2")});
  auto workers = discover_proxies(r, ProxySide::workers, 16, "node");
  EXPECT_EQ(endpoints(workers), (std::set<std::string>{"10.0.0.1:9001", "w.example:1"}));
  auto clients = discover_proxies(r, ProxySide::clients, 16, "node");
  EXPECT_EQ(endpoints(clients), (std::set<std::string>{"10.0.0.1:9002", "c.example:2"}));
  for (auto& t : clients.targets) {
    EXPECT_EQ(t.expected_key_hex.size(), 64u);
    EXPECT_NE(t.source.find("root seqno"), std::string::npos);
  }
  EXPECT_EQ(clients.listed, 2u);
  EXPECT_EQ(clients.usable, 2u);
}

TEST(ProxyDiscovery, RefusesEntriesWithoutAUsableEndpointNamingThem) {
  auto r = registry_of({entry(1, 1, "", "ok.example:1"), entry(2, 2, "no-port", "no-port"), entry(3, 3, "a:1", "a:2")});
  auto found = discover_proxies(r, ProxySide::workers, 16, "node");
  EXPECT_EQ(endpoints(found), (std::set<std::string>{"a:1"}));
  ASSERT_EQ(found.skipped.size(), 2u);
  EXPECT_NE(found.skipped[0].find("seqno 1: no workers endpoint"), std::string::npos) << found.skipped[0];
  EXPECT_NE(found.skipped[1].find("seqno 2"), std::string::npos) << found.skipped[1];
}

TEST(ProxyDiscovery, AKeyListedTwiceIsDialedOnceAtItsNewestEntry) {
  auto r = registry_of({entry(1, 7, "old:1", "old:2"), entry(5, 7, "new:1", "new:2")});
  auto found = discover_proxies(r, ProxySide::clients, 16, "node");
  EXPECT_EQ(endpoints(found), (std::set<std::string>{"new:2"}));
}

TEST(ProxyDiscovery, ChoosesAStableSubsetPerNodeThatSpreadsNodesAcrossProxies) {
  std::vector<RegisteredProxy> list;
  for (uint8_t i = 1; i <= 20; ++i) list.push_back(entry(i, i, "p" + std::to_string(i) + ":1", "p" + std::to_string(i) + ":2"));
  auto r = registry_of(list);
  auto a = discover_proxies(r, ProxySide::clients, 4, "node-a");
  EXPECT_EQ(a.targets.size(), 4u);
  EXPECT_EQ(a.usable, 20u);
  // The same node chooses the same proxies every time.
  EXPECT_EQ(endpoints(discover_proxies(r, ProxySide::clients, 4, "node-a")), endpoints(a));
  // An entry that is not among the chosen leaving does not change the choice.
  for (size_t i = 0; i < list.size(); ++i) {
    if (endpoints(a).count(list[i].entry.clients_endpoint)) continue;
    auto shorter = list;
    shorter.erase(shorter.begin() + static_cast<long>(i));
    EXPECT_EQ(endpoints(discover_proxies(registry_of(shorter), ProxySide::clients, 4, "node-a")), endpoints(a));
    break;
  }
  // Different nodes end up on different proxies (16 nodes, 20 proxies: far more than 4 are used).
  std::set<std::string> used;
  for (int n = 0; n < 16; ++n) {
    auto e = endpoints(discover_proxies(r, ProxySide::clients, 4, "node-" + std::to_string(n)));
    used.insert(e.begin(), e.end());
  }
  EXPECT_GT(used.size(), 10u);
}

std::string read_error(const std::string& toml, bool has_registry, std::vector<Endpoint>* out = nullptr) {
  test::TempDir dir("proxy-list");
  auto file = dir / "n.toml";
  std::ofstream(file) << toml;
  TomlReader r(file);
  try {
    auto list = read_proxy_endpoints(r, "client.proxies", "127.0.0.1:11002", has_registry, "n.toml");
    if (out) *out = list;
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(ProxyDiscovery, TheConfiguredListWinsAndAnEmptyOneNeedsARegistry) {
  std::vector<Endpoint> list;
  EXPECT_EQ(read_error("[client]\nid = \"c\"\n", true, &list), "");
  EXPECT_TRUE(list.empty());  // found in the root
  EXPECT_EQ(read_error("[client]\nid = \"c\"\n", false, &list), "");
  ASSERT_EQ(list.size(), 1u);  // the default, as before
  EXPECT_EQ(list[0].to_string(), "127.0.0.1:11002");
  EXPECT_EQ(read_error("[client]\nproxies = [\"p:1\"]\n", true, &list), "");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].to_string(), "p:1");
  auto error = read_error("[client]\nproxies = []\n", false);
  EXPECT_NE(error.find("'client.proxies' is empty and there is no [registry]"), std::string::npos) << error;
  EXPECT_EQ(read_error("[client]\nproxies = []\n", true, &list), "");
  EXPECT_TRUE(list.empty());
}

}  // namespace
}  // namespace chrysalis::attest
