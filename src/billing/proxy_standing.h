#pragma once
// Whether a client or worker may pay or be paid through a proxy: the root contract must list the
// proxy's key (registration is the network owner's decision), and the proxy's contract must be the
// genuine one: the address the root's code and params give for its owner and key (code cannot
// change after deployment, so the address proves the code). Pure: the caller reads the chain.
#include <string>

#include "ton/contracts/contract_get_methods.h"
#include "ton/contracts/root_registry.h"

namespace chrysalis::billing {

// Empty when the proxy with `proxy_key` and contract `proxy_contract` (whose get_proxy_data is
// `data`) may be used; else the reason, naming what differs.
std::string proxy_standing_refusal(const ton::contracts::RootRegistry& registry, const ton::PublicKey& proxy_key,
                                   const ton::Address& proxy_contract, const ton::contracts::ProxyContractData& data);

}  // namespace chrysalis::billing
