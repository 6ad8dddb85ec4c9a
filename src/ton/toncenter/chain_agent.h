#pragma once
// One node's access to the chain for billing: a toncenter client, the owner's v4r2 wallet, and a
// queue that runs the node's chain jobs one at a time (a wallet's sends must not interleave:
// each one takes the next seqno). Jobs are coroutines; a failed job is logged and counted, the
// next one runs.
#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "net/async_queue.h"
#include "ton/toncenter/toncenter_client.h"
#include "ton/wallet/wallet_key_file.h"

namespace chrysalis::ton {

class ChainAgent {
 public:
  using Job = std::function<boost::asio::awaitable<void>()>;

  ChainAgent(boost::asio::any_io_executor ex, const std::string& endpoint, const std::string& api_key,
             WalletKeyFile wallet);
  void start();
  void stop();

  // Queues a job; `what` names it in logs and stats.
  void submit(std::string what, Job job);
  // Queues a job and waits for it to finish; rethrows what it threw.
  boost::asio::awaitable<void> call(std::string what, Job job);
  // Inside a job: sends from the wallet and waits for the chain (as send_and_wait).
  boost::asio::awaitable<Transaction> send(std::vector<WalletOutMessage> messages);
  // One message (not a coroutine: GCC 12 miscompiles braced lists inside coroutines).
  boost::asio::awaitable<Transaction> send_one(WalletOutMessage message);

  ToncenterClient& client() { return *client_; }
  const WalletKeyFile& wallet_key() const { return wallet_; }
  Address wallet_address() const { return wallet_.wallet().address(); }
  size_t queued() const { return queued_; }
  nlohmann::json stats() const;

 private:
  boost::asio::awaitable<void> run();

  boost::asio::any_io_executor ex_;
  std::unique_ptr<ToncenterClient> client_;
  WalletKeyFile wallet_;
  struct Entry {
    std::string what;
    Job job;
  };
  std::shared_ptr<net::AsyncQueue<Entry>> queue_;
  size_t queued_ = 0;
  uint64_t done_ = 0, failed_ = 0, sent_ = 0;
  std::string last_error_;
};

}  // namespace chrysalis::ton
