#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <string>
#include <vector>

#include "net/async_queue.h"

namespace {

namespace asio = boost::asio;
using chrysalis::net::AsyncQueue;

TEST(AsyncQueue, InterruptWakesTheConsumerOnceAndKeepsWhatArrivesAfter) {
  asio::io_context io;
  AsyncQueue<std::string> queue(io.get_executor());
  std::vector<std::string> seen;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto first = co_await queue.pop();  // woken by interrupt() with nothing queued
        seen.push_back(first ? *first : "(woken)");
        queue.push("part");  // arrives while the consumer decides what to do: kept
        queue.reopen();
        auto next = co_await queue.pop(std::chrono::steady_clock::now() + std::chrono::seconds(1));
        seen.push_back(next ? *next : "(none)");
      },
      asio::detached);
  asio::post(io, [&] { queue.interrupt(); });
  io.run();
  EXPECT_EQ(seen, (std::vector<std::string>{"(woken)", "part"}));
}

TEST(AsyncQueue, CloseDropsWhatArrivesAfter) {
  asio::io_context io;
  AsyncQueue<int> queue(io.get_executor());
  queue.push(1);
  queue.close();
  queue.push(2);
  std::vector<int> seen;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        while (auto item = co_await queue.pop()) seen.push_back(*item);
      },
      asio::detached);
  io.run();
  EXPECT_EQ(seen, (std::vector<int>{1}));
}

}  // namespace
