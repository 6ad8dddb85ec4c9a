#include "ton/contracts/contract_messages.h"

#include <map>

#include "ton/cells/encoding.h"
#include "ton/contracts/chrysalis_contracts.h"

namespace chrysalis::ton::contracts {

namespace {

CellBuilder head(uint32_t op, uint64_t query_id) {
  CellBuilder b;
  b.store_uint(op, 32).store_uint(query_id, 64);
  return b;
}
CellRef op_only(uint32_t op, uint64_t query_id) { return head(op, query_id).end_cell(); }
CellRef op_amount(uint32_t op, uint64_t query_id, uint64_t amount) {
  return head(op, query_id).store_coins(amount).end_cell();
}
CellRef op_hash(uint32_t op, uint64_t query_id, const Hash256& hash) {
  return head(op, query_id).store_uint_be(hash, 256).end_cell();
}

CellRef signed_for(uint32_t op, const Address& target, const Address& root, uint64_t amount, const Hash256& extra,
                   const Ed25519Key& key, uint64_t query_id) {
  SignedPayload p;
  p.op = op;
  p.target = target;
  p.root = root;
  p.amount = amount;
  p.extra = extra;
  return make_signed_body(p, query_id, key);
}

}  // namespace

void store_proxy_entry(CellBuilder& b, const ProxyEntry& e) {
  b.store_uint_be(e.public_key, 256)
      .store_ref(build_string_cell(e.workers_endpoint))
      .store_ref(build_string_cell(e.clients_endpoint));
}

ProxyEntry load_proxy_entry(CellSlice& s) {
  ProxyEntry e;
  e.public_key = s.load_uint256();
  e.workers_endpoint = parse_string_cell(s.load_ref());
  e.clients_endpoint = parse_string_cell(s.load_ref());
  return e;
}

CellRef build_string_cell(std::string_view text) {
  constexpr size_t kPerCell = Cell::kMaxBits / 8;  // 127
  CellRef tail;
  // Build from the last chunk backwards so each cell can reference the next.
  size_t chunks = text.empty() ? 1 : (text.size() + kPerCell - 1) / kPerCell;
  for (size_t i = chunks; i-- > 0;) {
    CellBuilder b;
    b.store_string(text.substr(i * kPerCell, kPerCell));
    if (tail) b.store_ref(tail);
    tail = b.end_cell();
  }
  return tail;
}

std::string parse_string_cell(const CellRef& cell) {
  std::string out;
  CellRef cur = cell;
  for (int depth = 0; cur; ++depth) {
    if (depth > 64) throw CellUnderflow("string cell chain longer than 64 cells");
    if (cur->bit_size() % 8 != 0)
      throw CellUnderflow("string cell holds " + std::to_string(cur->bit_size()) + " bits, not whole bytes");
    CellSlice s(cur);
    auto bytes = s.load_bytes(cur->bit_size() / 8);
    out.append(bytes.begin(), bytes.end());
    cur = s.remaining_refs() ? s.load_ref() : nullptr;
  }
  return out;
}

namespace root_body {
CellRef add_proxy_image_hash(const Hash256& h, uint64_t q) { return op_hash(op::kAddProxyImageHash, q, h); }
CellRef del_proxy_image_hash(const Hash256& h, uint64_t q) { return op_hash(op::kDelProxyImageHash, q, h); }
CellRef add_worker_image_hash(const Hash256& h, uint64_t q) { return op_hash(op::kAddWorkerImageHash, q, h); }
CellRef del_worker_image_hash(const Hash256& h, uint64_t q) { return op_hash(op::kDelWorkerImageHash, q, h); }
CellRef add_model_hash(const Hash256& h, uint64_t q) { return op_hash(op::kAddModelHash, q, h); }
CellRef del_model_hash(const Hash256& h, uint64_t q) { return op_hash(op::kDelModelHash, q, h); }
CellRef register_proxy(const ProxyEntry& entry, uint64_t q) {
  auto b = head(op::kRegisterProxy, q);
  store_proxy_entry(b, entry);
  return b.end_cell();
}
CellRef unregister_proxy(uint32_t seqno, uint64_t q) {
  return head(op::kUnregisterProxy, q).store_uint(seqno, 32).end_cell();
}
CellRef update_proxy(uint32_t seqno, const ProxyEntry& entry, uint64_t q) {
  auto b = head(op::kUpdateProxy, q);
  b.store_uint(seqno, 32);
  store_proxy_entry(b, entry);
  return b.end_cell();
}
CellRef change_params(const ContractParams& params, uint64_t q) {
  return head(op::kChangeParams, q).store_ref(build_params_cell(params)).end_cell();
}
CellRef set_codes(const ChildCodes& c, uint64_t q) {
  auto codes = CellBuilder().store_ref(c.proxy).store_ref(c.client).store_ref(c.worker).end_cell();
  return head(op::kSetCodes, q).store_ref(codes).end_cell();
}
CellRef change_owner(const Address& new_owner, uint64_t q) {
  return head(op::kChangeOwner, q).store_address(new_owner).end_cell();
}
CellRef upgrade_root(const CellRef& code, uint64_t q) { return head(op::kUpgradeRoot, q).store_ref(code).end_cell(); }
CellRef proxy_listing(const Address& owner, const PublicKey& key, bool listed, const Address& excess_to,
                      const std::string& workers, const std::string& clients, uint64_t q) {
  auto b = head(op::kRootProxyListing, q);
  b.store_address(owner).store_uint_be(key, 256).store_bit(listed).store_address(excess_to);
  return b.store_ref(build_string_cell(workers)).store_ref(build_string_cell(clients)).end_cell();
}
}  // namespace root_body

namespace proxy_body {
CellRef add_stake(uint64_t amount, uint64_t q) { return op_amount(op::kProxyAddStake, q, amount); }
CellRef withdraw(uint64_t amount, uint64_t q) { return op_amount(op::kProxyWithdraw, q, amount); }
CellRef request_close(uint64_t q) { return op_only(op::kProxyRequestClose, q); }
CellRef endpoints_cell(const std::string& workers, const std::string& clients) {
  return CellBuilder().store_ref(build_string_cell(workers)).store_ref(build_string_cell(clients)).end_cell();
}
namespace {
CellRef announcement(const Address& proxy_contract, const Address& root, bool listed, const CellRef& endpoints,
                     const Ed25519Key* key, uint64_t q) {
  SignedPayload p;
  p.op = op::kProxyAnnounce;
  p.target = proxy_contract;
  p.root = root;
  p.amount = listed ? 1 : 0;
  p.extra = endpoints->hash();
  auto payload = build_signed_payload(p);
  Signature signature{};  // a delisting is the owner's alone: unsigned
  if (key) signature = sign_payload(payload, *key);
  return head(op::kProxyAnnounce, q).store_bytes(signature).store_ref(payload).store_ref(endpoints).end_cell();
}
}  // namespace
CellRef announce(const Address& proxy_contract, const Address& root, const std::string& workers,
                 const std::string& clients, const Ed25519Key& key, uint64_t q) {
  return announcement(proxy_contract, root, true, endpoints_cell(workers, clients), &key, q);
}
CellRef delist(const Address& proxy_contract, const Address& root, uint64_t q) {
  return announcement(proxy_contract, root, false, endpoints_cell("", ""), nullptr, q);
}
CellRef save_state(const Address& proxy_contract, const Address& root, uint64_t seqno, const Hash256& session_hash,
                   const Ed25519Key& key, uint64_t q) {
  return signed_for(op::kProxySaveState, proxy_contract, root, seqno, session_hash, key, q);
}
CellRef client_charge_notify(uint64_t prev, uint64_t next, const Address& owner, const Address& excess_to, uint64_t q) {
  return head(op::kClientChargeNotify, q)
      .store_uint(prev, 64)
      .store_uint(next, 64)
      .store_address(owner)
      .store_address(excess_to)
      .end_cell();
}
CellRef worker_payout_request(uint64_t prev, uint64_t next, const Address& owner, const Address& excess_to,
                              uint64_t q) {
  return head(op::kWorkerPayoutRequest, q)
      .store_uint(prev, 64)
      .store_uint(next, 64)
      .store_address(owner)
      .store_address(excess_to)
      .end_cell();
}
}  // namespace proxy_body

namespace client_body {
CellRef top_up(uint64_t amount, uint64_t q) { return op_amount(op::kClientTopUp, q, amount); }
CellRef increase_stake(uint64_t amount, uint64_t q) { return op_amount(op::kClientIncreaseStake, q, amount); }
CellRef withdraw(uint64_t amount, uint64_t q) { return op_amount(op::kClientWithdraw, q, amount); }
CellRef change_secret(const Hash256& secret_hash, uint64_t q) {
  return op_hash(op::kClientChangeSecret, q, secret_hash);
}
CellRef request_close(uint64_t q) { return op_only(op::kClientRequestClose, q); }
CellRef charge(const Address& client, const Address& root, uint64_t tokens, const Ed25519Key& key, uint64_t q) {
  return signed_for(op::kClientCharge, client, root, tokens, Hash256{}, key, q);
}
CellRef refund(const Address& client, const Address& root, uint64_t tokens, const Ed25519Key& key, uint64_t q) {
  return signed_for(op::kClientRefund, client, root, tokens, Hash256{}, key, q);
}
}  // namespace client_body

namespace worker_body {
CellRef payout(const Address& worker, const Address& root, uint64_t tokens, const Ed25519Key& key, uint64_t q) {
  return signed_for(op::kWorkerPayout, worker, root, tokens, Hash256{}, key, q);
}
}  // namespace worker_body

CellRef excesses_body(uint64_t q) { return op_only(op::kExcesses, q); }
CellRef payout_body(uint64_t q) { return op_only(op::kPayout, q); }

namespace {
const std::map<uint32_t, const char*>& op_names() {
  static const std::map<uint32_t, const char*> names = {
      {op::kExcesses, "excesses"},
      {op::kPayout, "payout"},
      {op::kAddProxyImageHash, "root_add_proxy_image_hash"},
      {op::kDelProxyImageHash, "root_del_proxy_image_hash"},
      {op::kAddWorkerImageHash, "root_add_worker_image_hash"},
      {op::kDelWorkerImageHash, "root_del_worker_image_hash"},
      {op::kAddModelHash, "root_add_model_hash"},
      {op::kDelModelHash, "root_del_model_hash"},
      {op::kRegisterProxy, "root_register_proxy"},
      {op::kUnregisterProxy, "root_unregister_proxy"},
      {op::kUpdateProxy, "root_update_proxy"},
      {op::kChangeParams, "root_change_params"},
      {op::kSetCodes, "root_set_codes"},
      {op::kChangeOwner, "root_change_owner"},
      {op::kUpgradeRoot, "root_upgrade_root"},
      {op::kRootProxyListing, "root_proxy_listing"},
      {op::kClientChargeNotify, "proxy_client_charge_notify"},
      {op::kWorkerPayoutRequest, "proxy_worker_payout_request"},
      {op::kProxySaveState, "proxy_save_state"},
      {op::kProxyAddStake, "proxy_add_stake"},
      {op::kProxyWithdraw, "proxy_withdraw"},
      {op::kProxyRequestClose, "proxy_request_close"},
      {op::kProxyAnnounce, "proxy_announce"},
      {op::kClientTopUp, "client_top_up"},
      {op::kClientIncreaseStake, "client_increase_stake"},
      {op::kClientWithdraw, "client_withdraw"},
      {op::kClientChangeSecret, "client_change_secret"},
      {op::kClientRequestClose, "client_request_close"},
      {op::kClientCharge, "client_charge"},
      {op::kClientRefund, "client_refund"},
      {op::kWorkerPayout, "worker_payout"},
  };
  return names;
}

std::string hex256(const Hash256& h) { return to_hex(h); }

nlohmann::json entry_json(const ProxyEntry& e) {
  nlohmann::json j = nlohmann::json::object();
  j["public_key"] = hex256(e.public_key);
  j["workers_endpoint"] = e.workers_endpoint;
  j["clients_endpoint"] = e.clients_endpoint;
  return j;
}
}  // namespace

std::string op_name(uint32_t op) {
  auto it = op_names().find(op);
  return it == op_names().end() ? std::string() : it->second;
}

nlohmann::json DecodedBody::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  j["op"] = op;
  j["name"] = name;
  j["query_id"] = std::to_string(query_id);
  j["fields"] = fields;
  return j;
}

namespace {

bool is_signed_body_op(uint32_t op_code) {
  return op_code == op::kClientCharge || op_code == op::kClientRefund || op_code == op::kWorkerPayout ||
         op_code == op::kProxySaveState;
}

// A body signed by the proxy: its query id, signature and payload.
void decode_signed_body(const CellRef& body, DecodedBody& out) {
  auto& f = out.fields;
  auto sb = parse_signed_body(body);
  out.query_id = sb.query_id;
  f["signature"] = to_hex(sb.signature);
  f["payload_op"] = sb.payload.op;
  f["target"] = sb.payload.target.to_raw();
  f["root"] = sb.payload.root.to_raw();
  f["amount"] = std::to_string(sb.payload.amount);
  f["extra"] = hex256(sb.payload.extra);
}

// The fields after op and query id, by op.
void decode_fields(uint32_t op_code, CellSlice& s, nlohmann::json& f) {
  switch (op_code) {
    case op::kAddProxyImageHash:
    case op::kDelProxyImageHash:
    case op::kAddWorkerImageHash:
    case op::kDelWorkerImageHash:
    case op::kAddModelHash:
    case op::kDelModelHash:
      f["hash"] = hex256(s.load_uint256());
      break;
    case op::kClientChangeSecret:
      f["secret_hash"] = hex256(s.load_uint256());
      break;
    case op::kRegisterProxy:
      f = entry_json(load_proxy_entry(s));
      break;
    case op::kUnregisterProxy:
      f["seqno"] = s.load_uint(32);
      break;
    case op::kUpdateProxy: {
      auto seqno = s.load_uint(32);
      f = entry_json(load_proxy_entry(s));
      f["seqno"] = seqno;
      break;
    }
    case op::kChangeParams:
      f["params"] = parse_params_cell(s.load_ref()).to_json();
      break;
    case op::kSetCodes: {
      CellSlice codes(s.load_ref());
      f["proxy_code_hash"] = codes.load_ref()->hash_hex();
      f["client_code_hash"] = codes.load_ref()->hash_hex();
      f["worker_code_hash"] = codes.load_ref()->hash_hex();
      codes.end_parse();
      break;
    }
    case op::kChangeOwner:
      f["new_owner"] = s.load_address().to_raw();
      break;
    case op::kProxyAnnounce: {
      f["signature"] = to_hex(s.load_bytes(64));
      auto payload = parse_signed_payload(s.load_ref());
      f["listed"] = payload.amount == 1;
      f["target"] = payload.target.to_raw();
      f["root"] = payload.root.to_raw();
      f["endpoints_hash"] = hex256(payload.extra);
      CellSlice endpoints(s.load_ref());
      f["workers_endpoint"] = parse_string_cell(endpoints.load_ref());
      f["clients_endpoint"] = parse_string_cell(endpoints.load_ref());
      endpoints.end_parse();
      break;
    }
    case op::kRootProxyListing:
      f["owner"] = s.load_address().to_raw();
      f["public_key"] = hex256(s.load_uint256());
      f["listed"] = s.load_bit();
      f["excess_to"] = s.load_address().to_raw();
      f["workers_endpoint"] = parse_string_cell(s.load_ref());
      f["clients_endpoint"] = parse_string_cell(s.load_ref());
      break;
    case op::kUpgradeRoot:
      f["code_hash"] = s.load_ref()->hash_hex();
      break;
    case op::kClientChargeNotify:
    case op::kWorkerPayoutRequest:
      f["prev_tokens"] = std::to_string(s.load_uint(64));
      f["new_tokens"] = std::to_string(s.load_uint(64));
      f[op_code == op::kClientChargeNotify ? "client_owner" : "worker_owner"] = s.load_address().to_raw();
      f["excess_to"] = s.load_address().to_raw();
      break;
    case op::kProxyAddStake:
    case op::kProxyWithdraw:
    case op::kClientTopUp:
    case op::kClientIncreaseStake:
    case op::kClientWithdraw:
      f["amount"] = std::to_string(s.load_coins());
      break;
    default:  // op + query_id only
      break;
  }
}

}  // namespace

DecodedBody decode_body(const CellRef& body) {
  DecodedBody out;
  if (!body) throw CellUnderflow("message body: missing cell");
  CellSlice s(body);
  if (s.empty()) {
    out.name = "empty";
    return out;
  }
  if (s.remaining_bits() < 32)
    throw CellUnderflow("message body: " + std::to_string(s.remaining_bits()) + " bits, no 32-bit op");
  out.op = static_cast<uint32_t>(s.load_uint(32));
  out.name = op_name(out.op);
  if (out.name.empty()) {
    out.name = "unknown";
    if (s.remaining_bits() >= 64) out.query_id = s.load_uint(64);
    return out;
  }
  if (is_signed_body_op(out.op)) {
    decode_signed_body(body, out);
    return out;
  }
  out.query_id = s.load_uint(64);
  decode_fields(out.op, s, out.fields);
  s.end_parse();
  return out;
}

}  // namespace chrysalis::ton::contracts
