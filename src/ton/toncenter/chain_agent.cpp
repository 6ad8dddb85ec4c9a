#include "ton/toncenter/chain_agent.h"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "ton/wallet/wallet_sender.h"

namespace chrysalis::ton {

ChainAgent::ChainAgent(boost::asio::any_io_executor ex, const std::string& endpoint, const std::string& api_key,
                       WalletKeyFile wallet)
    : ex_(ex), wallet_(std::move(wallet)), queue_(std::make_shared<net::AsyncQueue<Entry>>(ex)) {
  ToncenterOptions options;
  options.endpoint = endpoint;
  options.api_key = api_key;
  options.timeout = std::chrono::seconds(20);
  options.retry.max_attempts = 3;
  client_ = std::make_unique<ToncenterClient>(ex, options);
}

void ChainAgent::start() { boost::asio::co_spawn(ex_, run(), boost::asio::detached); }

void ChainAgent::stop() { queue_->close(); }

void ChainAgent::submit(std::string what, Job job) {
  ++queued_;
  queue_->push({std::move(what), std::move(job)});
}

boost::asio::awaitable<void> ChainAgent::call(std::string what, Job job) {
  struct Done {
    bool finished = false;
    std::exception_ptr error;
    std::unique_ptr<boost::asio::steady_timer> signal;
  };
  auto done = std::make_shared<Done>();
  done->signal = std::make_unique<boost::asio::steady_timer>(ex_, std::chrono::steady_clock::time_point::max());
  submit(std::move(what), [done, job = std::move(job)]() -> boost::asio::awaitable<void> {
    try {
      co_await job();
    } catch (...) {
      done->error = std::current_exception();
    }
    done->finished = true;
    done->signal->cancel();
  });
  while (!done->finished) {
    boost::system::error_code ec;
    co_await done->signal->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (!done->finished && queue_->closed()) throw std::runtime_error("the node is shutting down");
  }
  if (done->error) std::rethrow_exception(done->error);
}

boost::asio::awaitable<void> ChainAgent::run() {
  auto queue = queue_;  // outlives a stop() while a job runs
  while (auto entry = co_await queue->pop()) {
    try {
      co_await entry->job();
      ++done_;
    } catch (const std::exception& e) {
      ++failed_;
      last_error_ = entry->what + ": " + e.what();
      spdlog::warn("chain job failed: {}", last_error_);
    }
    --queued_;
  }
}

boost::asio::awaitable<Transaction> ChainAgent::send(std::vector<WalletOutMessage> messages) {
  ++sent_;
  const WalletV4R2 wallet = wallet_.wallet();
  auto tx = co_await send_and_wait(*client_, wallet_.key, wallet, std::move(messages));
  co_return tx;
}

boost::asio::awaitable<Transaction> ChainAgent::send_one(WalletOutMessage message) {
  std::vector<WalletOutMessage> messages;
  messages.push_back(std::move(message));
  return send(std::move(messages));
}

nlohmann::json ChainAgent::stats() const {
  return {{"wallet", wallet_.wallet().address().to_friendly()},
          {"jobs_done", done_},
          {"jobs_failed", failed_},
          {"jobs_queued", queued_},
          {"messages_sent", sent_},
          {"last_error", last_error_}};
}

}  // namespace chrysalis::ton
