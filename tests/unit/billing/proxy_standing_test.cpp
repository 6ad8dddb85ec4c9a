// A proxy is paid through only when the root lists its key and its contract is the genuine one.
#include <gtest/gtest.h>

#include "billing/proxy_standing.h"
#include "ton/cells/cell.h"
#include "ton/wallet/ed25519_key.h"

namespace chrysalis::billing {
namespace {

using ton::contracts::ProxyContractData;
using ton::contracts::RootRegistry;

ton::CellRef code(uint32_t tag) {
  ton::CellBuilder b;
  b.store_uint(tag, 32);
  return b.end_cell();
}

struct Fixture {
  ton::Ed25519Key proxy = ton::Ed25519Key::generate();
  ton::Address owner{0, ton::Hash256{1}};
  RootRegistry registry;
  ProxyContractData data;
  ton::Address contract;

  Fixture() {
    registry.address = ton::Address{0, ton::Hash256{7}};
    registry.params_cell = code(99);
    registry.codes = {code(1), code(2), code(3)};
    registry.proxies.push_back({1, {proxy.public_key(), "127.0.0.1:1", "127.0.0.1:2"}});
    data.public_key = proxy.public_key();
    data.owner = owner;
    data.root = registry.address;
    contract = registry.network().proxy_address(owner, proxy.public_key());
  }
  std::string refusal() const { return proxy_standing_refusal(registry, proxy.public_key(), contract, data); }
};

TEST(BillingProxyStanding, ARegisteredProxyWithTheGenuineContractIsAccepted) {
  Fixture f;
  EXPECT_EQ(f.refusal(), "");
}

TEST(BillingProxyStanding, AProxyTheRootDoesNotListIsRefused) {
  Fixture f;
  f.registry.proxies.clear();
  EXPECT_NE(f.refusal().find("is not registered in the root contract"), std::string::npos) << f.refusal();
  f.registry.proxies.push_back({2, {ton::Ed25519Key::generate().public_key(), "", ""}});
  EXPECT_NE(f.refusal().find("it lists 1 proxies"), std::string::npos) << f.refusal();
}

TEST(BillingProxyStanding, AContractWithOtherCodeIsRefused) {
  Fixture f;
  auto other = f.registry;
  other.codes.proxy = code(666);  // a contract deployed from other code: another address
  f.contract = other.network().proxy_address(f.owner, f.proxy.public_key());
  EXPECT_NE(f.refusal().find("is not the genuine proxy contract"), std::string::npos) << f.refusal();
}

TEST(BillingProxyStanding, AContractOfAnotherKeyOrRootIsRefused) {
  Fixture f;
  f.data.public_key = ton::Ed25519Key::generate().public_key();
  EXPECT_NE(f.refusal().find("not the proxy's TLS key"), std::string::npos) << f.refusal();
  Fixture g;
  g.data.root = ton::Address{0, ton::Hash256{8}};
  EXPECT_NE(g.refusal().find("not to this network's root"), std::string::npos) << g.refusal();
}

}  // namespace
}  // namespace chrysalis::billing
