#pragma once
// A devnet started for the test binary (fresh chain, any free port, snapshot in a temp dir) and
// the helpers the tests share: a synchronous bridge to the coroutine client, wallet transfers
// that wait for their transaction, and per-account coin accounting from transactions.
#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <memory>
#include <string>

#include "ton/contracts/root_registry.h"
#include "ton/toncenter/devnet_process.h"
#include "ton/wallet/wallet_v4r2.h"

namespace chrysalis::ton::devnet_test {

struct DevWallet {
  std::string name;
  Address address;
  std::unique_ptr<Ed25519Key> key;
  std::unique_ptr<WalletV4R2> wallet;
};

struct Devnet {
  std::filesystem::path dir;
  std::unique_ptr<DevnetProcess> process;
  std::string base_url;
  Address root;
  nlohmann::json info;  // GET /devnet/info
};

// Started once per test binary; throws when the devnet cannot start.
Devnet& shared_devnet();

// Runs one awaitable to completion on `io` (rethrows its exception).
template <typename T>
T run_sync(boost::asio::io_context& io, boost::asio::awaitable<T> task);
void run_sync(boost::asio::io_context& io, boost::asio::awaitable<void> task);

DevWallet dev_wallet(const Devnet& net, const std::string& name);

// A bounceable internal message from a test wallet (no IGNORE_ERRORS: a wallet mistake shows up).
WalletOutMessage message_to(const Address& dest, uint64_t value, CellRef body,
                            std::optional<StateInit> init = std::nullopt);

// Signs and sends a v4r2 transfer, then waits for the wallet's transaction of it and for one new
// transaction on every destination. Returns the wallet's transaction.
boost::asio::awaitable<Transaction> send_and_wait(ToncenterClient& client, const DevWallet& from,
                                                  std::vector<WalletOutMessage> messages);

// Net coins that transactions after `after_lt` moved into the account:
// Σ incoming value − Σ outgoing (value + fwd_fee + ihr_fee) − Σ transaction fees.
struct AccountFlow {
  int64_t net = 0;
  uint64_t fees = 0;
  std::vector<Transaction> transactions;  // newest first
};
boost::asio::awaitable<AccountFlow> account_flow(ToncenterClient& client, const Address& account, uint64_t after_lt);

}  // namespace chrysalis::ton::devnet_test

#include "devnet_fixture_impl.h"
