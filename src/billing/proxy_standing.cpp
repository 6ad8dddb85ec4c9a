#include "billing/proxy_standing.h"

#include <algorithm>

#include "ton/cells/encoding.h"

namespace chrysalis::billing {

std::string proxy_standing_refusal(const ton::contracts::RootRegistry& registry, const ton::PublicKey& proxy_key,
                                   const ton::Address& proxy_contract, const ton::contracts::ProxyContractData& data) {
  const std::string key = ton::to_hex(proxy_key);
  bool registered = std::any_of(registry.proxies.begin(), registry.proxies.end(),
                                [&](const auto& p) { return p.entry.public_key == proxy_key; });
  if (!registered)
    return "proxy " + key + " is not registered in the root contract " + registry.address.to_friendly() +
           " (it lists " + std::to_string(registry.proxies.size()) + " proxies)";
  if (data.public_key != proxy_key)
    return "the proxy contract " + proxy_contract.to_friendly() + " trusts key " + ton::to_hex(data.public_key) +
           ", not the proxy's TLS key " + key;
  if (!(data.root == registry.address))
    return "the proxy contract " + proxy_contract.to_friendly() + " belongs to root " + data.root.to_friendly() +
           ", not to this network's root " + registry.address.to_friendly();
  auto genuine = registry.network().proxy_address(data.owner, proxy_key);
  if (!(genuine == proxy_contract))
    return "the proxy contract " + proxy_contract.to_friendly() +
           " is not the genuine proxy contract: the root's code and params give " + genuine.to_friendly() +
           " for its owner " + data.owner.to_friendly() + " and this key (other code or params)";
  return "";
}

}  // namespace chrysalis::billing
