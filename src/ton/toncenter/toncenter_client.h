#pragma once
// Client for the toncenter HTTP API v2 (public TON endpoints and our devnet), over the project's
// Beast HTTP client. Every call goes to the jsonRPC endpoint; failures throw ToncenterError.
#include <utility>  // before Boost 1.74 awaitable.hpp

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ton/toncenter/toncenter_client_errors.h"
#include "ton/toncenter/toncenter_client_stack.h"

namespace chrysalis::ton {

struct ToncenterOptions {
  // "http://host:port" (→ /api/v2/jsonRPC), "http://host:port/api/v2" or the jsonRPC URL itself.
  std::string endpoint;
  std::string api_key;                       // sent as X-API-Key when not empty
  std::chrono::milliseconds timeout{15000};  // per HTTP attempt
  RetryPolicy retry;
};

// The jsonRPC URL for an endpoint as above; throws std::invalid_argument naming a bad URL.
std::string toncenter_jsonrpc_url(const std::string& endpoint);

struct TransactionId {
  uint64_t lt = 0;
  std::string hash;  // 32 raw bytes (all zero for an account without transactions)
};

struct MasterchainInfo {
  int32_t workchain = -1;
  std::string shard;
  uint32_t seqno = 0;
  std::string root_hash;  // raw bytes
};

struct AddressInformation {
  uint64_t balance = 0;
  std::string state;  // "active", "uninitialized", "frozen"
  std::string code;   // BoC bytes, empty when none
  std::string data;   // BoC bytes, empty when none
  TransactionId last_transaction;
};

struct WalletInformation {
  bool wallet = false;
  std::string wallet_type;  // "wallet v4 r2", …
  uint32_t seqno = 0;
  uint32_t wallet_id = 0;
  uint64_t balance = 0;
  std::string account_state;
  TransactionId last_transaction;
};

struct GetMethodResult {
  int exit_code = 0;
  uint64_t gas_used = 0;
  TvmStack stack;
};

struct SentMessage {
  std::string hash;       // raw 32 bytes: representation hash of the message cell sent
  std::string hash_norm;  // raw 32 bytes: toncenter's normalized external-message hash (may be empty)
};

struct TxMessage {
  std::string hash;         // raw 32 bytes
  std::string source;       // user-friendly address; empty for external messages
  std::string destination;  // empty for external-out
  uint64_t value = 0;
  uint64_t fwd_fee = 0;
  uint64_t ihr_fee = 0;
  uint64_t created_lt = 0;
  std::string body_hash;   // raw 32 bytes
  std::string body;        // BoC bytes of the body cell
  std::string init_state;  // BoC bytes, empty when none
};

struct Transaction {
  std::string account;  // user-friendly address
  TransactionId id;
  uint32_t utime = 0;
  uint64_t fee = 0;  // total fees of the transaction
  uint64_t storage_fee = 0;
  uint64_t other_fee = 0;
  std::string data;  // BoC bytes of the raw transaction
  std::optional<TxMessage> in_msg;
  std::vector<TxMessage> out_msgs;
};

struct FeeEstimate {
  uint64_t in_fwd_fee = 0, storage_fee = 0, gas_fee = 0, fwd_fee = 0;
  uint64_t total() const { return in_fwd_fee + storage_fee + gas_fee + fwd_fee; }
};

// What wait_for_transaction looks for in an account's transactions: one with lt > after_lt
// whose incoming message hash is one of in_msg_hashes (any incoming message when empty).
struct TransactionMatch {
  uint64_t after_lt = 0;
  std::vector<std::string> in_msg_hashes;  // raw 32-byte hashes (e.g. SentMessage::hash and hash_norm)
};
bool transaction_matches(const Transaction& tx, const TransactionMatch& match);

// JSON → structs (toncenter shapes; numbers as strings or integers). Throw ToncenterError(502)
// naming the field that is missing or malformed.
MasterchainInfo parse_masterchain_info(const nlohmann::json& result);
AddressInformation parse_address_information(const nlohmann::json& result);
WalletInformation parse_wallet_information(const nlohmann::json& result);
GetMethodResult parse_get_method_result(const nlohmann::json& result);
Transaction parse_transaction(const nlohmann::json& result);
FeeEstimate parse_fee_estimate(const nlohmann::json& result);

class ToncenterClient {
 public:
  ToncenterClient(boost::asio::any_io_executor executor, ToncenterOptions options);

  const ToncenterOptions& options() const { return options_; }

  // One API method with retries; returns toncenter's "result".
  boost::asio::awaitable<nlohmann::json> call(std::string method, nlohmann::json params);

  boost::asio::awaitable<MasterchainInfo> get_masterchain_info();
  boost::asio::awaitable<AddressInformation> get_address_information(std::string address);
  boost::asio::awaitable<uint64_t> get_address_balance(std::string address);
  boost::asio::awaitable<std::string> get_address_state(std::string address);
  boost::asio::awaitable<WalletInformation> get_wallet_information(std::string address);
  boost::asio::awaitable<GetMethodResult> run_get_method(std::string address, std::string method, TvmStack stack);
  boost::asio::awaitable<void> send_boc(std::string boc_bytes);
  boost::asio::awaitable<SentMessage> send_boc_return_hash(std::string boc_bytes);
  // Newest first; lt/hash start the page (inclusive), to_lt ends it (exclusive, 0 = none).
  boost::asio::awaitable<std::vector<Transaction>> get_transactions(std::string address, unsigned limit,
                                                                    std::optional<TransactionId> from = std::nullopt,
                                                                    uint64_t to_lt = 0);
  boost::asio::awaitable<FeeEstimate> estimate_fee(std::string address, std::string body_boc,
                                                   std::string init_code_boc = {}, std::string init_data_boc = {},
                                                   bool ignore_chksig = true);

  // Polls getTransactions until a transaction matching `match` appears (returns it) or the
  // deadline passes (throws ToncenterError with code 504).
  boost::asio::awaitable<Transaction> wait_for_transaction(
      std::string address, TransactionMatch match, std::chrono::steady_clock::time_point deadline,
      std::chrono::milliseconds poll_interval = std::chrono::milliseconds(300));

  // Random source of the backoff jitter (tests make it deterministic); defaults to random_unit().
  std::function<double()> random_unit_source;

 private:
  boost::asio::awaitable<nlohmann::json> call_once(const std::string& method, const nlohmann::json& params);
  boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds delay);

  boost::asio::any_io_executor executor_;
  ToncenterOptions options_;
  std::string url_;
  uint64_t next_id_ = 1;
};

}  // namespace chrysalis::ton
