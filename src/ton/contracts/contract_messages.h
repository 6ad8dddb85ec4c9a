#pragma once
// Message bodies of the four Chrysalis contracts (root, proxy, client, worker): a builder for
// every message they accept or send, and one decoder that turns any of those bodies back into
// its fields. Layouts: contracts/README.md. Every body starts with op:uint32 query_id:uint64.
#include <nlohmann/json.hpp>

#include <string>

#include "ton/cells/address.h"
#include "ton/cells/cell.h"
#include "ton/contracts/contract_params.h"
#include "ton/contracts/contract_signed.h"

namespace chrysalis::ton::contracts {

// public_key:uint256 ^workers_endpoint ^clients_endpoint (strings as snake cells).
struct ProxyEntry {
  PublicKey public_key{};
  std::string workers_endpoint;  // "host:port"
  std::string clients_endpoint;
  bool operator==(const ProxyEntry&) const = default;
};
void store_proxy_entry(CellBuilder& builder, const ProxyEntry& entry);
ProxyEntry load_proxy_entry(CellSlice& slice);

// Snake string: bytes in the cell, continued in its first reference (127 bytes per cell).
CellRef build_string_cell(std::string_view text);
std::string parse_string_cell(const CellRef& cell);

struct ChildCodes {
  CellRef proxy;
  CellRef client;
  CellRef worker;
};

namespace root_body {
CellRef add_proxy_image_hash(const Hash256& hash, uint64_t query_id = 0);
CellRef del_proxy_image_hash(const Hash256& hash, uint64_t query_id = 0);
CellRef add_worker_image_hash(const Hash256& hash, uint64_t query_id = 0);
CellRef del_worker_image_hash(const Hash256& hash, uint64_t query_id = 0);
CellRef add_model_hash(const Hash256& hash, uint64_t query_id = 0);  // sha256 of the model name
CellRef del_model_hash(const Hash256& hash, uint64_t query_id = 0);
CellRef register_proxy(const ProxyEntry& entry, uint64_t query_id = 0);
CellRef unregister_proxy(uint32_t seqno, uint64_t query_id = 0);
CellRef update_proxy(uint32_t seqno, const ProxyEntry& entry, uint64_t query_id = 0);
CellRef change_params(const ContractParams& params, uint64_t query_id = 0);
CellRef set_codes(const ChildCodes& codes, uint64_t query_id = 0);
CellRef change_owner(const Address& new_owner, uint64_t query_id = 0);
CellRef upgrade_root(const CellRef& code, uint64_t query_id = 0);
// Sent by a proxy contract (built here for tests and decoders).
CellRef proxy_listing(const Address& owner, const PublicKey& public_key, bool listed, const Address& excess_to,
                      const std::string& workers_endpoint, const std::string& clients_endpoint, uint64_t query_id = 0);
}  // namespace root_body

namespace proxy_body {
CellRef add_stake(uint64_t amount, uint64_t query_id = 0);
CellRef withdraw(uint64_t amount, uint64_t query_id = 0);
CellRef request_close(uint64_t query_id = 0);
// Owner, signed by the proxy's key: list the proxy in the root with its endpoints ("host:port", at
// most 127 bytes each); the contract forwards it as root_body::proxy_listing. Layout:
// op query_id signature:bits512 ^SignedPayload(amount = 1, extra = hash of the endpoints cell) ^endpoints.
CellRef announce(const Address& proxy_contract, const Address& root, const std::string& workers_endpoint,
                 const std::string& clients_endpoint, const Ed25519Key& proxy_key, uint64_t query_id = 0);
// Owner: take the proxy off the root's list (amount = 0, empty endpoints; needs no signature).
CellRef delist(const Address& proxy_contract, const Address& root, uint64_t query_id = 0);
// ^workers ^clients, no data bits: what an announcement's signature covers (by hash).
CellRef endpoints_cell(const std::string& workers_endpoint, const std::string& clients_endpoint);
// Signed state commit: seqno strictly rising, session hash in `extra`.
CellRef save_state(const Address& proxy_contract, const Address& root, uint64_t seqno, const Hash256& session_hash,
                   const Ed25519Key& proxy_key, uint64_t query_id = 0);
// Sent by child contracts (built here for tests and decoders).
CellRef client_charge_notify(uint64_t prev_tokens, uint64_t new_tokens, const Address& client_owner,
                             const Address& excess_to, uint64_t query_id = 0);
CellRef worker_payout_request(uint64_t prev_tokens, uint64_t new_tokens, const Address& worker_owner,
                              const Address& excess_to, uint64_t query_id = 0);
}  // namespace proxy_body

namespace client_body {
CellRef top_up(uint64_t amount, uint64_t query_id = 0);
CellRef increase_stake(uint64_t amount, uint64_t query_id = 0);
CellRef withdraw(uint64_t amount, uint64_t query_id = 0);
CellRef change_secret(const Hash256& secret_hash, uint64_t query_id = 0);
CellRef request_close(uint64_t query_id = 0);
CellRef charge(const Address& client_contract, const Address& root, uint64_t cumulative_tokens,
               const Ed25519Key& proxy_key, uint64_t query_id = 0);
CellRef refund(const Address& client_contract, const Address& root, uint64_t final_tokens, const Ed25519Key& proxy_key,
               uint64_t query_id = 0);
}  // namespace client_body

namespace worker_body {
CellRef payout(const Address& worker_contract, const Address& root, uint64_t cumulative_tokens,
               const Ed25519Key& proxy_key, uint64_t query_id = 0);
}  // namespace worker_body

CellRef excesses_body(uint64_t query_id = 0);
CellRef payout_body(uint64_t query_id = 0);

// Name of an op code ("client_charge", "root_add_model_hash", …) or "" when unknown.
std::string op_name(uint32_t op);

// Any body above, decoded: op, its name, query_id and the fields by name (snake_case; coins
// and 64-bit amounts as decimal strings, hashes/keys as 64-hex, addresses raw, cells as hash hex).
// An empty body decodes as {"name":"empty"}. Unknown ops keep op and query_id. Throws CellError
// when a known op's body is short or has bits left over.
struct DecodedBody {
  uint32_t op = 0;
  std::string name;
  uint64_t query_id = 0;
  nlohmann::json fields = nlohmann::json::object();
  nlohmann::json to_json() const;
};
DecodedBody decode_body(const CellRef& body);

}  // namespace chrysalis::ton::contracts
