#pragma once
// Get-methods of the Chrysalis child contracts read through toncenter's runGetMethod, and the
// stack helpers they share with root_registry.h.
#include <utility>  // before Boost 1.74 awaitable.hpp

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <optional>

#include <stdexcept>
#include <string>

#include "ton/cells/address.h"
#include "ton/cells/cell.h"
#include "ton/contracts/contract_params.h"
#include "ton/toncenter/toncenter_client.h"
#include "ton/wallet/ed25519_key.h"

namespace chrysalis::ton::contracts {

// A get-method that did not run (exit code ≠ 0 and ≠ 1, e.g. −13 for an account without code) or
// whose stack is not what the contract returns.
class GetMethodError : public std::runtime_error {
 public:
  GetMethodError(std::string method, int exit_code, const std::string& message);
  const std::string& method() const { return method_; }
  int exit_code() const { return exit_code_; }

 private:
  std::string method_;
  int exit_code_;
};

// Stack reading: index i of the result of `method`; throw GetMethodError naming both.
struct StackReader {
  std::string method;
  const TvmStack& stack;
  const TvmStackEntry& at(size_t i, TvmStackEntry::Kind kind) const;
  TvmInt integer(size_t i) const;
  uint64_t u64(size_t i) const;
  bool boolean(size_t i) const;  // −1 / 0
  Hash256 u256(size_t i) const;
  CellRef cell(size_t i) const;      // cell or slice entry
  CellRef cell_opt(size_t i) const;  // null → nullptr
  Address address(size_t i) const;   // slice holding an address
};

// Runs `method` and checks the exit code (0 or 1).
boost::asio::awaitable<GetMethodResult> run_get_method_checked(ToncenterClient& client, const Address& contract,
                                                               std::string method, TvmStack arguments = {});
// A slice argument holding `address` (what get_client_address(owner) and friends take).
TvmStackEntry address_argument(const Address& address);

struct ClientContractData {
  uint32_t state = 0;
  uint64_t balance = 0;
  uint64_t stake = 0;
  uint64_t tokens_used = 0;
  uint32_t unlock_ts = 0;
  Hash256 secret_hash{};
  PublicKey proxy_public_key{};
  Address owner, proxy, root;
  nlohmann::json to_json() const;
};

struct WorkerContractData {
  uint32_t state = 0;
  uint64_t tokens = 0;
  PublicKey proxy_public_key{};
  Address owner, proxy, root;
  nlohmann::json to_json() const;
};

struct ProxyContractData {
  uint32_t state = 0;
  uint64_t stake = 0;
  uint64_t balance = 0;
  uint64_t client_tokens = 0;
  uint64_t worker_tokens = 0;
  uint32_t unlock_ts = 0;
  uint64_t last_seqno = 0;
  Hash256 last_session_hash{};
  Address owner;
  PublicKey public_key{};
  Address root;
  nlohmann::json to_json() const;
};

ClientContractData parse_client_data(const TvmStack& stack);
WorkerContractData parse_worker_data(const TvmStack& stack);
ProxyContractData parse_proxy_data(const TvmStack& stack);
// The 11 numbers of get_params (root and children), in the params cell's order.
ContractParams parse_params_stack(const TvmStack& stack);

boost::asio::awaitable<ClientContractData> read_client_data(ToncenterClient& client, const Address& contract);
// As read_client_data, nullopt when nothing is deployed there (one request, not a state check first).
boost::asio::awaitable<std::optional<ClientContractData>> read_client_data_if_deployed(ToncenterClient& client,
                                                                                       const Address& contract);
boost::asio::awaitable<WorkerContractData> read_worker_data(ToncenterClient& client, const Address& contract);
boost::asio::awaitable<ProxyContractData> read_proxy_data(ToncenterClient& client, const Address& contract);
boost::asio::awaitable<uint64_t> read_proxy_withdrawable(ToncenterClient& client, const Address& contract);

}  // namespace chrysalis::ton::contracts
