#include "ton/toncenter/toncenter_client.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/random.h"
#include "common/url.h"
#include "http/http_client.h"

namespace chrysalis::ton {

namespace asio = boost::asio;
using json = nlohmann::json;

std::string toncenter_jsonrpc_url(const std::string& endpoint) {
  std::string error;
  auto url = parse_url(endpoint, &error);
  if (!url) throw std::invalid_argument("toncenter endpoint: " + error);
  std::string path = url->path;
  auto ends_with = [&](std::string_view tail) {
    return path.size() >= tail.size() && path.compare(path.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (ends_with("/jsonRPC")) {
    // already the jsonRPC URL
  } else if (ends_with("/api/v2")) {
    path += "/jsonRPC";
  } else if (path.empty()) {
    path = "/api/v2/jsonRPC";
  } else {
    path += "/jsonRPC";
  }
  return url->scheme + "://" + url->authority() + path + (url->query.empty() ? "" : "?" + url->query);
}

namespace {

[[noreturn]] void bad_field(const std::string& what, const std::string& why) {
  throw ToncenterError("reply", 502, "malformed " + what + ": " + why);
}

const json& field(const json& obj, const char* key, const std::string& what) {
  if (!obj.is_object() || !obj.contains(key)) bad_field(what, std::string("missing '") + key + "'");
  return obj[key];
}

uint64_t u64_of(const json& v, const std::string& what) {
  try {
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
    if (v.is_string()) return TvmInt::parse(v.get<std::string>()).to_u64();
  } catch (const std::exception& e) {
    bad_field(what, e.what());
  }
  bad_field(what, "expected an unsigned number, got " + v.dump());
}

uint64_t u64_field(const json& obj, const char* key, const std::string& what, bool required = true) {
  if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) {
    if (required) bad_field(what, std::string("missing '") + key + "'");
    return 0;
  }
  return u64_of(obj[key], what + "." + key);
}

std::string str_field(const json& obj, const char* key, const std::string& what, bool required = false) {
  if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) {
    if (required) bad_field(what, std::string("missing '") + key + "'");
    return {};
  }
  if (!obj[key].is_string()) bad_field(what, std::string("'") + key + "' is not a string");
  return obj[key].get<std::string>();
}

std::string b64_field(const json& obj, const char* key, const std::string& what) {
  try {
    return base64_decode(str_field(obj, key, what));
  } catch (const std::invalid_argument& e) {
    bad_field(what + "." + key, e.what());
  }
}

TransactionId parse_tx_id(const json& v, const std::string& what) {
  TransactionId id;
  id.lt = u64_field(v, "lt", what);
  id.hash = b64_field(v, "hash", what);
  return id;
}

TxMessage parse_message(const json& m) {
  TxMessage out;
  out.hash = b64_field(m, "hash", "message");
  out.source = str_field(m, "source", "message");
  out.destination = str_field(m, "destination", "message");
  out.value = u64_field(m, "value", "message", false);
  out.fwd_fee = u64_field(m, "fwd_fee", "message", false);
  out.ihr_fee = u64_field(m, "ihr_fee", "message", false);
  out.created_lt = u64_field(m, "created_lt", "message", false);
  out.body_hash = b64_field(m, "body_hash", "message");
  if (m.contains("msg_data") && m["msg_data"].is_object()) {
    out.body = b64_field(m["msg_data"], "body", "message.msg_data");
    out.init_state = b64_field(m["msg_data"], "init_state", "message.msg_data");
  }
  return out;
}

}  // namespace

MasterchainInfo parse_masterchain_info(const json& result) {
  const auto& last = field(result, "last", "masterchain info");
  MasterchainInfo info;
  info.workchain = static_cast<int32_t>(field(last, "workchain", "masterchain info").get<int>());
  info.shard = last.value("shard", std::string());
  info.seqno = static_cast<uint32_t>(u64_field(last, "seqno", "masterchain info"));
  info.root_hash = b64_field(last, "root_hash", "masterchain info");
  return info;
}

AddressInformation parse_address_information(const json& result) {
  AddressInformation info;
  info.balance = u64_field(result, "balance", "address information");
  info.state = str_field(result, "state", "address information", true);
  info.code = b64_field(result, "code", "address information");
  info.data = b64_field(result, "data", "address information");
  if (result.contains("last_transaction_id"))
    info.last_transaction = parse_tx_id(result["last_transaction_id"], "last_transaction_id");
  return info;
}

WalletInformation parse_wallet_information(const json& result) {
  WalletInformation info;
  info.wallet = result.value("wallet", false);
  info.wallet_type = str_field(result, "wallet_type", "wallet information");
  info.seqno = static_cast<uint32_t>(u64_field(result, "seqno", "wallet information", false));
  info.wallet_id = static_cast<uint32_t>(u64_field(result, "wallet_id", "wallet information", false));
  info.balance = u64_field(result, "balance", "wallet information");
  info.account_state = str_field(result, "account_state", "wallet information");
  if (result.contains("last_transaction_id"))
    info.last_transaction = parse_tx_id(result["last_transaction_id"], "last_transaction_id");
  return info;
}

GetMethodResult parse_get_method_result(const json& result) {
  GetMethodResult out;
  const auto& code = field(result, "exit_code", "runGetMethod result");
  if (!code.is_number_integer()) bad_field("runGetMethod result", "exit_code is not an integer");
  out.exit_code = code.get<int>();
  out.gas_used = u64_field(result, "gas_used", "runGetMethod result", false);
  try {
    out.stack = decode_stack(field(result, "stack", "runGetMethod result"));
  } catch (const std::invalid_argument& e) {
    bad_field("runGetMethod result", e.what());
  }
  return out;
}

Transaction parse_transaction(const json& t) {
  Transaction tx;
  if (t.contains("address") && t["address"].is_object())
    tx.account = str_field(t["address"], "account_address", "transaction");
  tx.id = parse_tx_id(field(t, "transaction_id", "transaction"), "transaction_id");
  tx.utime = static_cast<uint32_t>(u64_field(t, "utime", "transaction", false));
  tx.fee = u64_field(t, "fee", "transaction");
  tx.storage_fee = u64_field(t, "storage_fee", "transaction", false);
  tx.other_fee = u64_field(t, "other_fee", "transaction", false);
  tx.data = b64_field(t, "data", "transaction");
  if (t.contains("in_msg") && t["in_msg"].is_object()) tx.in_msg = parse_message(t["in_msg"]);
  if (t.contains("out_msgs") && t["out_msgs"].is_array()) {
    for (const auto& m : t["out_msgs"]) tx.out_msgs.push_back(parse_message(m));
  }
  return tx;
}

FeeEstimate parse_fee_estimate(const json& result) {
  const auto& f = field(result, "source_fees", "fee estimate");
  FeeEstimate out;
  out.in_fwd_fee = u64_field(f, "in_fwd_fee", "source_fees");
  out.storage_fee = u64_field(f, "storage_fee", "source_fees");
  out.gas_fee = u64_field(f, "gas_fee", "source_fees");
  out.fwd_fee = u64_field(f, "fwd_fee", "source_fees");
  return out;
}

bool transaction_matches(const Transaction& tx, const TransactionMatch& match) {
  if (tx.id.lt <= match.after_lt) return false;
  if (match.in_msg_hashes.empty()) return tx.in_msg.has_value();
  if (!tx.in_msg) return false;
  for (const auto& h : match.in_msg_hashes) {
    if (!h.empty() && h == tx.in_msg->hash) return true;
  }
  return false;
}

ToncenterClient::ToncenterClient(asio::any_io_executor executor, ToncenterOptions options)
    : executor_(std::move(executor)), options_(std::move(options)), url_(toncenter_jsonrpc_url(options_.endpoint)) {
  random_unit_source = [] { return random_unit(); };
}

asio::awaitable<void> ToncenterClient::sleep_for(std::chrono::milliseconds delay) {
  asio::steady_timer timer(executor_, delay);
  co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<json> ToncenterClient::call_once(const std::string& method, const json& params) {
  json envelope = json::object();
  envelope["id"] = next_id_++;
  envelope["jsonrpc"] = "2.0";
  envelope["method"] = method;
  envelope["params"] = params;
  http::ClientRequest request;
  request.method = "POST";
  request.url = url_;
  request.headers.emplace_back("Content-Type", "application/json");
  request.headers.emplace_back("Accept", "application/json");
  if (!options_.api_key.empty()) request.headers.emplace_back("X-API-Key", options_.api_key);
  request.body = envelope.dump();
  request.timeout = options_.timeout;
  auto response = co_await http::http_fetch(executor_, std::move(request));
  if (!response.ok()) throw ToncenterError(method, 0, response.message, response.error);
  co_return parse_toncenter_reply(method, response.status, response.body);
}

asio::awaitable<json> ToncenterClient::call(std::string method, json params) {
  const int attempts = std::max(1, options_.retry.max_attempts);
  for (int attempt = 1;; ++attempt) {
    try {
      json result = co_await call_once(method, params);
      co_return result;
    } catch (const ToncenterError& e) {
      if (!e.retryable() || attempt >= attempts) throw;
    }
    auto delay = backoff_delay(options_.retry, attempt, random_unit_source ? random_unit_source() : random_unit());
    co_await sleep_for(delay);
  }
}

asio::awaitable<MasterchainInfo> ToncenterClient::get_masterchain_info() {
  json result = co_await call("getMasterchainInfo", json::object());
  co_return parse_masterchain_info(result);
}

asio::awaitable<AddressInformation> ToncenterClient::get_address_information(std::string address) {
  json params = json::object();
  params["address"] = address;
  json result = co_await call("getAddressInformation", params);
  co_return parse_address_information(result);
}

asio::awaitable<uint64_t> ToncenterClient::get_address_balance(std::string address) {
  json params = json::object();
  params["address"] = address;
  json result = co_await call("getAddressBalance", params);
  co_return u64_of(result, "balance");
}

asio::awaitable<std::string> ToncenterClient::get_address_state(std::string address) {
  json params = json::object();
  params["address"] = address;
  json result = co_await call("getAddressState", params);
  if (!result.is_string()) bad_field("address state", "not a string");
  co_return result.get<std::string>();
}

asio::awaitable<WalletInformation> ToncenterClient::get_wallet_information(std::string address) {
  json params = json::object();
  params["address"] = address;
  json result = co_await call("getWalletInformation", params);
  co_return parse_wallet_information(result);
}

asio::awaitable<GetMethodResult> ToncenterClient::run_get_method(std::string address, std::string method,
                                                                 TvmStack stack) {
  json params = json::object();
  params["address"] = address;
  params["method"] = method;
  params["stack"] = encode_stack(stack);
  json result = co_await call("runGetMethod", params);
  co_return parse_get_method_result(result);
}

asio::awaitable<void> ToncenterClient::send_boc(std::string boc_bytes) {
  json params = json::object();
  params["boc"] = base64_encode(boc_bytes);
  co_await call("sendBoc", params);
}

asio::awaitable<SentMessage> ToncenterClient::send_boc_return_hash(std::string boc_bytes) {
  json params = json::object();
  params["boc"] = base64_encode(boc_bytes);
  json result = co_await call("sendBocReturnHash", params);
  SentMessage sent;
  sent.hash = b64_field(result, "hash", "sendBocReturnHash result");
  sent.hash_norm = b64_field(result, "hash_norm", "sendBocReturnHash result");
  co_return sent;
}

asio::awaitable<std::vector<Transaction>> ToncenterClient::get_transactions(std::string address, unsigned limit,
                                                                            std::optional<TransactionId> from,
                                                                            uint64_t to_lt) {
  json params = json::object();
  params["address"] = address;
  params["limit"] = limit;
  if (from) {
    params["lt"] = std::to_string(from->lt);
    params["hash"] = base64_encode(from->hash);
  }
  if (to_lt) params["to_lt"] = std::to_string(to_lt);
  params["archival"] = true;
  json result = co_await call("getTransactions", params);
  if (!result.is_array()) bad_field("getTransactions result", "not a list");
  std::vector<Transaction> out;
  for (const auto& t : result) out.push_back(parse_transaction(t));
  co_return out;
}

asio::awaitable<FeeEstimate> ToncenterClient::estimate_fee(std::string address, std::string body_boc,
                                                           std::string init_code_boc, std::string init_data_boc,
                                                           bool ignore_chksig) {
  json params = json::object();
  params["address"] = address;
  params["body"] = base64_encode(body_boc);
  params["init_code"] = base64_encode(init_code_boc);
  params["init_data"] = base64_encode(init_data_boc);
  params["ignore_chksig"] = ignore_chksig;
  json result = co_await call("estimateFee", params);
  co_return parse_fee_estimate(result);
}

asio::awaitable<Transaction> ToncenterClient::wait_for_transaction(std::string address, TransactionMatch match,
                                                                   std::chrono::steady_clock::time_point deadline,
                                                                   std::chrono::milliseconds poll_interval) {
  for (;;) {
    // Only transactions newer than after_lt matter; 64 per poll is plenty between two polls.
    auto txs = co_await get_transactions(address, 64, std::nullopt, match.after_lt);
    for (const auto& tx : txs) {
      if (transaction_matches(tx, match)) co_return tx;
    }
    if (std::chrono::steady_clock::now() + poll_interval > deadline) {
      throw ToncenterError("waitForTransaction", 504,
                           "no matching transaction of " + address + " after lt " + std::to_string(match.after_lt) +
                               " before the deadline");
    }
    co_await sleep_for(poll_interval);
  }
}

}  // namespace chrysalis::ton
