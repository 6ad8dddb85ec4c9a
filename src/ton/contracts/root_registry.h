#pragma once
// The root contract's registry and price list, read through its get-methods (runGetMethod).
#include <utility>  // before Boost 1.74 awaitable.hpp

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <vector>

#include "ton/contracts/contract_init.h"
#include "ton/contracts/contract_params.h"
#include "ton/toncenter/toncenter_client.h"

namespace chrysalis::ton::contracts {

struct RegisteredProxy {
  uint32_t seqno = 0;
  ProxyEntry entry;
};

struct RootRegistry {
  Address address;
  Address owner;
  uint32_t version = 0;  // rises with every accepted owner message
  uint32_t last_proxy_seqno = 0;
  ContractParams params;
  CellRef params_cell;  // embedded byte for byte by every child
  ChildCodes codes;
  std::vector<Hash256> proxy_image_hashes;  // ascending
  std::vector<Hash256> worker_image_hashes;
  std::vector<Hash256> model_hashes;
  std::vector<RegisteredProxy> proxies;  // ascending seqno

  ChrysalisNetwork network() const { return {address, params_cell, codes}; }
  // Everything above; coins as decimal strings, hashes/keys as 64-hex, addresses raw and
  // bounceable, codes as their hashes.
  nlohmann::json to_json() const;
};

// Hash set dictionary (key uint256 → bool) as returned by get_*_hashes; null → empty.
std::vector<Hash256> parse_hash_set(const CellRef& dictionary);
// Proxy dictionary (key uint32 seqno → ProxyEntry) as returned by get_proxies; null → empty.
std::vector<RegisteredProxy> parse_proxy_registry(const CellRef& dictionary);

// Reads every get-method of the root at `root` (eight calls). Throws GetMethodError/ToncenterError.
boost::asio::awaitable<RootRegistry> read_root_registry(ToncenterClient& client, const Address& root);

}  // namespace chrysalis::ton::contracts
