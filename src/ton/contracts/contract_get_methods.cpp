#include "ton/contracts/contract_get_methods.h"

#include "ton/cells/boc.h"
#include "ton/cells/encoding.h"

namespace chrysalis::ton::contracts {

namespace asio = boost::asio;

GetMethodError::GetMethodError(std::string method, int exit_code, const std::string& message)
    : std::runtime_error("get-method " + method + ": " + message), method_(std::move(method)), exit_code_(exit_code) {}

const TvmStackEntry& StackReader::at(size_t i, TvmStackEntry::Kind kind) const {
  if (i >= stack.size()) {
    throw GetMethodError(
        method, 0, "result has " + std::to_string(stack.size()) + " entries, entry " + std::to_string(i) + " expected");
  }
  const auto& e = stack[i];
  bool cell_like = kind == TvmStackEntry::Kind::cell &&
                   (e.kind == TvmStackEntry::Kind::slice || e.kind == TvmStackEntry::Kind::builder);
  if (e.kind != kind && !cell_like) {
    throw GetMethodError(
        method, 0, "entry " + std::to_string(i) + " is a " + to_string(e.kind) + ", expected a " + to_string(kind));
  }
  return e;
}

TvmInt StackReader::integer(size_t i) const { return at(i, TvmStackEntry::Kind::num).num; }

uint64_t StackReader::u64(size_t i) const {
  try {
    return integer(i).to_u64();
  } catch (const std::out_of_range& e) {
    throw GetMethodError(method, 0, "entry " + std::to_string(i) + ": " + e.what());
  }
}

bool StackReader::boolean(size_t i) const { return !integer(i).is_zero(); }

Hash256 StackReader::u256(size_t i) const {
  try {
    auto bytes = integer(i).to_bytes(32);
    Hash256 h{};
    std::copy(bytes.begin(), bytes.end(), h.begin());
    return h;
  } catch (const std::out_of_range& e) {
    throw GetMethodError(method, 0, "entry " + std::to_string(i) + ": " + e.what());
  }
}

CellRef StackReader::cell(size_t i) const {
  const auto& e = at(i, TvmStackEntry::Kind::cell);
  try {
    return deserialize_boc_single(std::span(reinterpret_cast<const uint8_t*>(e.boc.data()), e.boc.size()));
  } catch (const CellError& err) {
    throw GetMethodError(method, 0, "entry " + std::to_string(i) + ": " + err.what());
  }
}

CellRef StackReader::cell_opt(size_t i) const {
  if (i < stack.size() && stack[i].kind == TvmStackEntry::Kind::null) return nullptr;
  return cell(i);
}

Address StackReader::address(size_t i) const {
  auto c = cell(i);
  try {
    CellSlice s(c);
    return s.load_address();
  } catch (const CellError& err) {
    throw GetMethodError(method, 0, "entry " + std::to_string(i) + " is not an address: " + err.what());
  }
}

asio::awaitable<GetMethodResult> run_get_method_checked(ToncenterClient& client, const Address& contract,
                                                        std::string method, TvmStack arguments) {
  auto result = co_await client.run_get_method(contract.to_raw(), method, std::move(arguments));
  if (result.exit_code != 0 && result.exit_code != 1) {
    std::string why = result.exit_code == -13
                          ? "account " + contract.to_raw() + " has no code (not deployed)"
                          : "exit code " + std::to_string(result.exit_code) + " at " + contract.to_raw();
    throw GetMethodError(method, result.exit_code, why);
  }
  co_return result;
}

TvmStackEntry address_argument(const Address& address) {
  auto bytes = serialize_boc(CellBuilder().store_address(address).end_cell(), BocWriteOptions{false, false});
  return TvmStackEntry::slice(std::string(bytes.begin(), bytes.end()));
}

namespace {
uint32_t u32(const StackReader& r, size_t i) {
  auto v = r.u64(i);
  if (v > UINT32_MAX) throw GetMethodError(r.method, 0, "entry " + std::to_string(i) + " does not fit uint32");
  return static_cast<uint32_t>(v);
}
}  // namespace

ClientContractData parse_client_data(const TvmStack& stack) {
  StackReader r{"get_client_data", stack};
  ClientContractData d;
  d.state = u32(r, 0);
  d.balance = r.u64(1);
  d.stake = r.u64(2);
  d.tokens_used = r.u64(3);
  d.unlock_ts = u32(r, 4);
  d.secret_hash = r.u256(5);
  d.proxy_public_key = r.u256(6);
  d.owner = r.address(7);
  d.proxy = r.address(8);
  d.root = r.address(9);
  return d;
}

WorkerContractData parse_worker_data(const TvmStack& stack) {
  StackReader r{"get_worker_data", stack};
  WorkerContractData d;
  d.state = u32(r, 0);
  d.tokens = r.u64(1);
  d.proxy_public_key = r.u256(2);
  d.owner = r.address(3);
  d.proxy = r.address(4);
  d.root = r.address(5);
  return d;
}

ProxyContractData parse_proxy_data(const TvmStack& stack) {
  StackReader r{"get_proxy_data", stack};
  ProxyContractData d;
  d.state = u32(r, 0);
  d.stake = r.u64(1);
  d.balance = r.u64(2);
  d.client_tokens = r.u64(3);
  d.worker_tokens = r.u64(4);
  d.unlock_ts = u32(r, 5);
  d.last_seqno = r.u64(6);
  d.last_session_hash = r.u256(7);
  d.owner = r.address(8);
  d.public_key = r.u256(9);
  d.root = r.address(10);
  return d;
}

ContractParams parse_params_stack(const TvmStack& stack) {
  StackReader r{"get_params", stack};
  ContractParams p;
  p.params_version = u32(r, 0);
  p.price_per_token = r.u64(1);
  p.worker_fee_per_token = r.u64(2);
  p.prompt_mult = u32(r, 3);
  p.cached_mult = u32(r, 4);
  p.completion_mult = u32(r, 5);
  p.reasoning_mult = u32(r, 6);
  p.proxy_delay_before_close = u32(r, 7);
  p.client_delay_before_close = u32(r, 8);
  p.min_proxy_stake = r.u64(9);
  p.min_client_stake = r.u64(10);
  return p;
}

nlohmann::json ClientContractData::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  j["state"] = state;
  j["balance"] = std::to_string(balance);
  j["stake"] = std::to_string(stake);
  j["tokens_used"] = std::to_string(tokens_used);
  j["unlock_ts"] = unlock_ts;
  j["secret_hash"] = to_hex(secret_hash);
  j["proxy_public_key"] = to_hex(proxy_public_key);
  j["owner"] = owner.to_raw();
  j["proxy"] = proxy.to_raw();
  j["root"] = root.to_raw();
  return j;
}

nlohmann::json WorkerContractData::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  j["state"] = state;
  j["tokens"] = std::to_string(tokens);
  j["proxy_public_key"] = to_hex(proxy_public_key);
  j["owner"] = owner.to_raw();
  j["proxy"] = proxy.to_raw();
  j["root"] = root.to_raw();
  return j;
}

nlohmann::json ProxyContractData::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  j["state"] = state;
  j["stake"] = std::to_string(stake);
  j["balance"] = std::to_string(balance);
  j["client_tokens"] = std::to_string(client_tokens);
  j["worker_tokens"] = std::to_string(worker_tokens);
  j["unlock_ts"] = unlock_ts;
  j["last_seqno"] = std::to_string(last_seqno);
  j["last_session_hash"] = to_hex(last_session_hash);
  j["owner"] = owner.to_raw();
  j["public_key"] = to_hex(public_key);
  j["root"] = root.to_raw();
  return j;
}

asio::awaitable<ClientContractData> read_client_data(ToncenterClient& client, const Address& contract) {
  auto r = co_await run_get_method_checked(client, contract, "get_client_data");
  co_return parse_client_data(r.stack);
}

asio::awaitable<std::optional<ClientContractData>> read_client_data_if_deployed(ToncenterClient& client,
                                                                                const Address& contract) {
  std::optional<ClientContractData> out;
  try {
    out = co_await read_client_data(client, contract);
  } catch (const GetMethodError& e) {
    if (e.exit_code() != -13) throw;  // -13: the account has no code
  }
  co_return out;
}

asio::awaitable<WorkerContractData> read_worker_data(ToncenterClient& client, const Address& contract) {
  auto r = co_await run_get_method_checked(client, contract, "get_worker_data");
  co_return parse_worker_data(r.stack);
}

asio::awaitable<ProxyContractData> read_proxy_data(ToncenterClient& client, const Address& contract) {
  auto r = co_await run_get_method_checked(client, contract, "get_proxy_data");
  co_return parse_proxy_data(r.stack);
}

asio::awaitable<uint64_t> read_proxy_withdrawable(ToncenterClient& client, const Address& contract) {
  auto r = co_await run_get_method_checked(client, contract, "get_withdrawable");
  co_return StackReader{"get_withdrawable", r.stack}.u64(0);
}

}  // namespace chrysalis::ton::contracts
