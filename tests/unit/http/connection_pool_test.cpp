// Kept-alive upstream connections (http/connection_pool.h) through StreamingRequest, against a
// hand-written HTTP/1.1 server whose behaviour per connection each test chooses.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <string>

#include "http/connection_pool.h"
#include "http/http_client.h"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace chrysalis::http;
using namespace std::chrono_literals;

// What the server does on each connection after answering `answers` requests.
struct ServerScript {
  int answers_per_connection = 1000;  // then it closes
  bool close_before_answer = false;   // the last request read is not answered: the connection closes
  bool say_close = false;             // answers with Connection: close
  int accepted = 0;
  int answered = 0;
};

asio::awaitable<void> serve_connection(tcp::socket socket, ServerScript& script) {
  std::string buffer;
  boost::system::error_code ec;
  for (int served = 0;; ++served) {
    // Read one request head (our client sends a Content-Length body; the tests' bodies are small).
    auto n = co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer), "\r\n\r\n",
                                             asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    std::string head = buffer.substr(0, n);
    std::size_t body = 0;
    if (auto at = head.find("Content-Length: "); at != std::string::npos) body = std::stoul(head.substr(at + 16));
    while (buffer.size() < n + body) {
      char more[1024];
      std::size_t got =
          co_await socket.async_read_some(asio::buffer(more), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      buffer.append(more, got);
    }
    buffer.erase(0, n + body);
    if (served == script.answers_per_connection) {
      if (script.close_before_answer) socket.close(ec);
      co_return;
    }
    std::string reply =
        std::string("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n") +
        (script.say_close ? "Connection: close\r\n" : "") + "\r\n9\r\ndata: hi\n\r\n0\r\n\r\n";
    co_await asio::async_write(socket, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    ++script.answered;
    if (script.say_close) co_return;
    if (served + 1 == script.answers_per_connection && !script.close_before_answer) {
      socket.close(ec);  // closes while idle: the pool must notice before reusing it
      co_return;
    }
  }
}

class PoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    asio::co_spawn(io_, accept_loop(), asio::detached);
  }
  asio::awaitable<void> accept_loop() {
    while (true) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      ++script_.accepted;
      asio::co_spawn(io_, serve_connection(std::move(socket), script_), asio::detached);
    }
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  // A GET to the test server through `pool`.
  ClientRequest pooled(ConnectionPool& pool) const {
    ClientRequest r;
    r.url = url();
    r.timeout = 3s;
    r.pool = &pool;
    return r;
  }

  // Runs `count` requests one after another through the pool; returns how many came back whole.
  int sequential(int count, ConnectionPool& pool) {
    int whole = 0;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          for (int i = 0; i < count; ++i) {
            StreamingRequest request(co_await asio::this_coro::executor);
            ClientRequest r = pooled(pool);
            r.method = "POST";
            r.target = "/v1/chat/completions";
            r.body = "{}";
            std::string body;
            auto result = co_await request.run(r, nullptr, [&](std::string_view d) {
              body.append(d);
              return true;
            });
            EXPECT_TRUE(result.ok()) << result.message;
            if (result.ok() && result.complete && body == "data: hi\n") ++whole;
          }
          acceptor_.close();
          io_.stop();
        },
        asio::detached);
    io_.run_for(10s);
    return whole;
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  ServerScript script_;
};

TEST_F(PoolTest, SequentialRequestsShareOneConnection) {
  ConnectionPool pool;
  EXPECT_EQ(sequential(5, pool), 5);
  EXPECT_EQ(script_.accepted, 1);
  auto s = pool.stats();
  EXPECT_EQ(s["opened"], 1);
  EXPECT_EQ(s["reused"], 4);
  EXPECT_EQ(s["idle"], 1);
}

TEST_F(PoolTest, ConnectionTheServerClosedWhileIdleIsNotReused) {
  script_.answers_per_connection = 1;  // answers, then closes the idle connection
  ConnectionPool pool;
  EXPECT_EQ(sequential(3, pool), 3);
  EXPECT_EQ(script_.accepted, 3);
  auto s = pool.stats();
  EXPECT_EQ(s["opened"], 3);
  // Seen closed at take() (the peek), or, if the close had not arrived yet, on the retry.
  EXPECT_EQ(s["closed_stale"].get<int>() + s["stale_retries"].get<int>(), 2);
}

TEST_F(PoolTest, ServerClosingOnTheNextRequestIsRetriedOnceOnANewConnection) {
  // The race the peek cannot see: the server closes just as the request arrives.
  script_.answers_per_connection = 1;
  script_.close_before_answer = true;
  ConnectionPool pool;
  EXPECT_EQ(sequential(3, pool), 3);
  auto s = pool.stats();
  EXPECT_EQ(s["stale_retries"], 2);
  EXPECT_EQ(s["opened"], 3);
  EXPECT_EQ(script_.answered, 3);
}

TEST_F(PoolTest, AStopAtTheLastEventStillKeepsTheConnection) {
  // The worker stops reading at the engine's [DONE]: the rest (the chunked terminator) is drained.
  ConnectionPool pool;
  int stopped = 0;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
          StreamingRequest request(co_await asio::this_coro::executor);
          ClientRequest r = pooled(pool);
          auto result = co_await request.run(r, nullptr, [](std::string_view) { return false; });
          EXPECT_TRUE(result.ok()) << result.message;
          EXPECT_FALSE(result.complete);  // the caller stopped: not "whole" to it
          if (result.ok()) ++stopped;
        }
        acceptor_.close();
        io_.stop();
      },
      asio::detached);
  io_.run_for(10s);
  EXPECT_EQ(stopped, 3);
  EXPECT_EQ(script_.accepted, 1);
  EXPECT_EQ(pool.stats()["reused"], 2);
}

TEST_F(PoolTest, ConnectionCloseAnswerIsNotKept) {
  script_.say_close = true;
  ConnectionPool pool;
  EXPECT_EQ(sequential(2, pool), 2);
  EXPECT_EQ(script_.accepted, 2);
  EXPECT_EQ(pool.stats()["kept"], 0);
  EXPECT_EQ(pool.idle(), 0u);
}

TEST_F(PoolTest, IdleConnectionsOlderThanTheLimitAreClosed) {
  ConnectionPool pool({32, std::chrono::milliseconds(1)});
  int whole = 0;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 2; ++i) {
          StreamingRequest request(co_await asio::this_coro::executor);
          ClientRequest r = pooled(pool);
          auto result = co_await request.run(r, nullptr, [](std::string_view) { return true; });
          if (result.ok() && result.complete) ++whole;
          asio::steady_timer wait(co_await asio::this_coro::executor, 20ms);
          co_await wait.async_wait(asio::use_awaitable);
        }
        acceptor_.close();
        io_.stop();
      },
      asio::detached);
  io_.run_for(10s);
  EXPECT_EQ(whole, 2);
  EXPECT_EQ(script_.accepted, 2);
  EXPECT_EQ(pool.stats()["closed_stale"], 1);
}

TEST_F(PoolTest, AtMostMaxIdleConnectionsAreKept) {
  ConnectionPool pool({1, std::chrono::milliseconds(2000)});
  int whole = 0;
  auto one = [&]() -> asio::awaitable<void> {
    StreamingRequest request(co_await asio::this_coro::executor);
    ClientRequest r = pooled(pool);
    auto result = co_await request.run(r, nullptr, [](std::string_view) { return true; });
    if (result.ok() && result.complete) ++whole;
    if (whole == 3) io_.stop();
  };
  for (int i = 0; i < 3; ++i) asio::co_spawn(io_, one(), asio::detached);  // concurrent: three connections
  io_.run_for(10s);
  EXPECT_EQ(whole, 3);
  EXPECT_EQ(pool.idle(), 1u);
  EXPECT_EQ(pool.stats()["closed_pool_full"], 2);
}

}  // namespace
