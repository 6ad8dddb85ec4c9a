#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <stdexcept>

#include "http/http_client.h"
#include "http/http_server.h"

namespace {

namespace asio = boost::asio;
using namespace chrysalis::http;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using asio::ip::tcp;

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Waits on `timer` until cancelled or until `limit` passes; the timer doubles as a wake-up signal.
asio::awaitable<void> wait_signal(asio::steady_timer& timer, std::chrono::milliseconds limit) {
  timer.expires_after(limit);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

long elapsed_ms(Clock::time_point since) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

// Runs one test scenario on a fresh single-threaded io_context with a server on a free loopback
// port. The scenario must finish within `limit` or the test fails (instead of hanging).
class HttpTest : public ::testing::Test {
 protected:
  void start(Handler handler, ServerLimits limits = {}) {
    server_ = std::make_unique<Server>(io_, std::move(handler), limits);
    server_->listen("127.0.0.1", 0);
    ASSERT_NE(server_->port(), 0);
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  template <typename Scenario>
  void run(Scenario scenario, std::chrono::seconds limit = 10s) {
    bool finished = false;
    std::exception_ptr failure;
    asio::co_spawn(io_, std::move(scenario), [&](std::exception_ptr e) {
      finished = true;
      failure = e;
      io_.stop();
    });
    io_.run_for(limit);
    ASSERT_TRUE(finished) << "scenario did not finish within " << limit.count() << " s";
    if (failure) std::rethrow_exception(failure);
  }

  asio::io_context io_;
  std::unique_ptr<Server> server_;
};

ClientRequest post(std::string url, std::string target, std::string body, std::chrono::milliseconds timeout = 5s) {
  ClientRequest request;
  request.method = "POST";
  request.url = std::move(url);
  request.target = std::move(target);
  request.headers = {{"Content-Type", "application/json"}};
  request.body = std::move(body);
  request.timeout = timeout;
  return request;
}

TEST_F(HttpTest, StreamedChunksArriveOneByOne) {
  // The handler sends chunk i+1 only after the client has received chunk i: if anything
  // buffered the stream, this would deadlock and the client's timeout would fail the test.
  constexpr int kChunks = 4;
  std::size_t delivered = 0;
  asio::steady_timer progress(io_);
  start([&](const Request& request, Responder& responder) -> asio::awaitable<void> {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.body, "{\"stream\":true}");
    // (GCC 12 rejects braced temporaries inside co_await expressions: name them first.)
    Headers extra{{"X-Test", "yes"}};
    EXPECT_TRUE(co_await responder.begin_stream(200, "text/event-stream", extra));
    for (int i = 0; i < kChunks; ++i) {
      EXPECT_TRUE(co_await responder.write("data: " + std::to_string(i) + "\n\n"));
      while (delivered < static_cast<std::size_t>(i + 1) && !responder.peer_gone())
        co_await wait_signal(progress, 5000ms);
    }
    co_await responder.end_stream();
  });
  run([&]() -> asio::awaitable<void> {
    StreamingRequest request(co_await asio::this_coro::executor);
    ResponseHead head;
    std::string body;
    auto result = co_await request.run(
        post(base(), "/v1/chat/completions", "{\"stream\":true}", 3s), [&](const ResponseHead& h) { head = h; },
        [&](std::string_view data) {
          body.append(data);
          delivered = body.size() / std::string("data: 0\n\n").size();
          progress.cancel();
          return true;
        });
    EXPECT_TRUE(result.ok()) << result.message;
    EXPECT_TRUE(result.complete);
    EXPECT_EQ(result.status, 200);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.headers["content-type"], "text/event-stream");
    EXPECT_EQ(head.headers["transfer-encoding"], "chunked");
    EXPECT_EQ(head.headers.count("access-control-allow-origin"), 0u) << "no CORS unless an origin is allowed";
    EXPECT_EQ(head.headers["x-test"], "yes");
    EXPECT_EQ(body, "data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\n");
    EXPECT_EQ(result.body_bytes, body.size());
  });
}

TEST_F(HttpTest, OversizedBodyGets413FromTheServer) {
  bool handler_called = false;
  ServerLimits limits;
  limits.max_body_bytes = 1024;
  start(
      [&](const Request&, Responder& responder) -> asio::awaitable<void> {
        handler_called = true;
        co_await responder.send(200, "text/plain", "ok");
      },
      limits);
  run([&]() -> asio::awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    auto response = co_await http_fetch(executor, post(base(), "/v1/chat/completions", std::string(300 * 1024, 'x')));
    EXPECT_TRUE(response.ok()) << response.message;
    EXPECT_EQ(response.status, 413);
    auto error = nlohmann::json::parse(response.body, nullptr, false);
    EXPECT_EQ(error["error"]["code"], "payload_too_large") << response.body;
    EXPECT_EQ(error["error"]["type"], "invalid_request_error");
    // A body within the limit still works afterwards.
    response = co_await http_fetch(executor, post(base(), "/x", std::string(1024, 'x')));
    EXPECT_EQ(response.status, 200);
  });
  EXPECT_TRUE(handler_called);
}

TEST_F(HttpTest, HandlerExceptionBecomes500AndTheServerLivesOn) {
  start([&](const Request& request, Responder& responder) -> asio::awaitable<void> {
    if (request.path == "/throw") throw std::runtime_error("boom");
    if (request.path == "/silent") co_return;  // forgot to answer
    if (request.path == "/unfinished") {
      co_await responder.begin_stream(200, "text/plain");
      co_await responder.write("partial");
      co_return;  // the server ends the stream
    }
    co_await responder.send(200, "text/plain", "fine");
  });
  run([&]() -> asio::awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    auto response = co_await http_get(executor, base() + "/throw", 2s);
    EXPECT_EQ(response.status, 500);
    auto error = nlohmann::json::parse(response.body, nullptr, false);
    EXPECT_EQ(error["error"]["type"], "server_error") << response.body;
    response = co_await http_get(executor, base() + "/silent", 2s);
    EXPECT_EQ(response.status, 500);
    response = co_await http_get(executor, base() + "/unfinished", 2s);
    EXPECT_TRUE(response.ok()) << response.message;
    EXPECT_EQ(response.body, "partial");
    response = co_await http_get(executor, base() + "/ok", 2s);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "fine");
  });
}

TEST_F(HttpTest, OptionsIsACorsPreflightAnsweredByTheServerForAllowedOriginsOnly) {
  bool handler_called = false;
  start(
      [&](const Request&, Responder& responder) -> asio::awaitable<void> {
        handler_called = true;
        co_await responder.send(200, "text/plain", "no");
      },
      ServerLimits{.cors_origins = {"https://app.example"}});
  run([&]() -> asio::awaitable<void> {
    ClientRequest request;
    request.method = "OPTIONS";
    request.url = base() + "/v1/chat/completions";
    request.timeout = 2s;
    request.headers = {{"Origin", "https://app.example"}, {"Access-Control-Request-Headers", "x-evil"}};
    auto response = co_await http_fetch(co_await asio::this_coro::executor, request);
    EXPECT_EQ(response.status, 204);
    EXPECT_EQ(response.headers["access-control-allow-origin"], "https://app.example");
    EXPECT_NE(response.headers["access-control-allow-methods"].find("POST"), std::string::npos);
    EXPECT_NE(response.headers["access-control-allow-headers"].find("Authorization"), std::string::npos);
    EXPECT_EQ(response.headers["access-control-allow-headers"].find("x-evil"), std::string::npos) << "never echoed";

    request.headers = {{"Origin", "https://evil.example"}};
    response = co_await http_fetch(co_await asio::this_coro::executor, request);
    EXPECT_EQ(response.status, 403);
    EXPECT_EQ(response.headers.count("access-control-allow-origin"), 0u);
    EXPECT_NE(response.body.find("origin_not_allowed"), std::string::npos) << response.body;

    request.method = "POST";  // a "simple" request a page can send without any preflight
    response = co_await http_fetch(co_await asio::this_coro::executor, request);
    EXPECT_EQ(response.status, 403);
  });
  EXPECT_FALSE(handler_called);
}

TEST_F(HttpTest, RequestFieldsPathPrefixAndQuery) {
  Request seen;
  start([&](const Request& request, Responder& responder) -> asio::awaitable<void> {
    seen = request;
    co_await responder.send(200, "application/json", "{}");
  });
  run([&]() -> asio::awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    auto response = co_await http_get(executor, base() + "/prefix/admin%20x?value=1500&name=a%26b", 2s);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(seen.method, "GET");
    EXPECT_EQ(seen.target, "/prefix/admin%20x?value=1500&name=a%26b");
    EXPECT_EQ(seen.path, "/prefix/admin x");
    EXPECT_EQ(seen.query["value"], "1500");
    EXPECT_EQ(seen.query["name"], "a&b");
    EXPECT_EQ(seen.remote.rfind("127.0.0.1:", 0), 0u) << seen.remote;

    auto request = post(base() + "/engine/", "/v1/models", "{}");
    request.headers.push_back({"Authorization", "Bearer k"});
    response = co_await http_fetch(executor, request);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(seen.path, "/engine/v1/models");
    EXPECT_EQ(seen.headers["authorization"], "Bearer k");
    EXPECT_EQ(seen.headers["content-type"], "application/json");
    EXPECT_EQ(seen.body, "{}");
  });
}

TEST_F(HttpTest, PeerGoneFiresWhileTheHandlerWaitsSilently) {
  bool callback_fired = false;
  bool handler_saw_gone = false;
  bool handler_done = false;
  long handler_wait_ms = -1;
  asio::steady_timer wake(io_);
  start([&](const Request&, Responder& responder) -> asio::awaitable<void> {
    responder.on_peer_gone([&] {
      callback_fired = true;
      wake.cancel();
    });
    auto started = Clock::now();
    co_await wait_signal(wake, 5000ms);  // stands for a slow upstream: nothing is written meanwhile
    handler_wait_ms = elapsed_ms(started);
    handler_saw_gone = responder.peer_gone();
    co_await responder.send(200, "text/plain", "too late");  // harmless
    handler_done = true;
  });
  run([&]() -> asio::awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    StreamingRequest request(executor);
    asio::co_spawn(
        executor,
        [&]() -> asio::awaitable<void> {
          co_await sleep_for(200ms);
          request.cancel();
        },
        [](std::exception_ptr) {});
    auto started = Clock::now();
    auto result = co_await request.run(post(base(), "/wait", "{}", 5s), nullptr, nullptr);
    EXPECT_EQ(result.error, ClientError::cancelled);
    EXPECT_NE(result.message.find("127.0.0.1:"), std::string::npos) << result.message;
    EXPECT_LT(elapsed_ms(started), 1000);
    for (int i = 0; i < 100 && !handler_done; ++i) co_await sleep_for(10ms);
  });
  EXPECT_TRUE(callback_fired);
  EXPECT_TRUE(handler_saw_gone);
  EXPECT_TRUE(handler_done);
  // The handler stayed in its silent wait until the client went away (cancelled at 200 ms; its request
  // reached the server a little after that timer started), and was woken then, not by its 5 s timeout.
  EXPECT_GE(handler_wait_ms, 100);
  EXPECT_LT(handler_wait_ms, 1000);
}

TEST_F(HttpTest, ClientCancelStopsAStreamAtOnce) {
  start([&](const Request&, Responder& responder) -> asio::awaitable<void> {
    co_await responder.begin_stream(200, "text/event-stream");
    co_await responder.write("data: first\n\n");
    asio::steady_timer never(co_await asio::this_coro::executor);
    responder.on_peer_gone([&] { never.cancel(); });
    co_await wait_signal(never, 5000ms);
  });
  run([&]() -> asio::awaitable<void> {
    StreamingRequest request(co_await asio::this_coro::executor);
    std::string body;
    auto started = Clock::now();
    auto result = co_await request.run(post(base(), "/s", "{}", 5s), nullptr, [&](std::string_view data) {
      body.append(data);
      request.cancel();  // e.g. the app went away after the first token
      return true;
    });
    EXPECT_EQ(result.error, ClientError::cancelled) << result.message;
    EXPECT_TRUE(request.cancelled());
    EXPECT_EQ(body, "data: first\n\n");
    EXPECT_FALSE(result.complete);
    EXPECT_LT(elapsed_ms(started), 1000);
  });
}

TEST_F(HttpTest, CancelBeforeRunReturnsCancelledImmediately) {
  start([&](const Request&, Responder& responder) -> asio::awaitable<void> { co_await responder.send(200, "", ""); });
  run([&]() -> asio::awaitable<void> {
    StreamingRequest request(co_await asio::this_coro::executor);
    request.cancel();
    auto result = co_await request.run(post(base(), "/", ""), nullptr, nullptr);
    EXPECT_EQ(result.error, ClientError::cancelled);
    EXPECT_EQ(result.status, 0);
  });
}

TEST_F(HttpTest, BodyCallbackCanStopReading) {
  start([&](const Request&, Responder& responder) -> asio::awaitable<void> {
    co_await responder.begin_stream(200, "text/plain");
    for (int i = 0; i < 50 && co_await responder.write("chunk\n"); ++i) co_await sleep_for(5ms);
    co_await responder.end_stream();
  });
  run([&]() -> asio::awaitable<void> {
    StreamingRequest request(co_await asio::this_coro::executor);
    int calls = 0;
    auto result = co_await request.run(post(base(), "/", ""), nullptr, [&](std::string_view) { return ++calls < 2; });
    EXPECT_TRUE(result.ok()) << result.message;
    EXPECT_FALSE(result.complete);
    EXPECT_EQ(calls, 2);
  });
}

TEST_F(HttpTest, ClientTimeoutNamesTheHost) {
  asio::steady_timer hold(io_);
  start([&](const Request&, Responder& responder) -> asio::awaitable<void> {
    responder.on_peer_gone([&] { hold.cancel(); });
    co_await wait_signal(hold, 5000ms);
  });
  run([&]() -> asio::awaitable<void> {
    StreamingRequest request(co_await asio::this_coro::executor);
    auto started = Clock::now();
    auto result = co_await request.run(post(base(), "/slow", "{}", 200ms), nullptr, nullptr);
    EXPECT_EQ(result.error, ClientError::timeout);
    EXPECT_NE(result.message.find("127.0.0.1:" + std::to_string(server_->port())), std::string::npos) << result.message;
    EXPECT_GE(elapsed_ms(started), 150);
    EXPECT_LT(elapsed_ms(started), 1500);
  });
}

TEST_F(HttpTest, ConnectionRefusedIsAnErrorValue) {
  uint16_t closed_port = 0;
  {
    tcp::acceptor probe(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    closed_port = probe.local_endpoint().port();
  }
  run([&]() -> asio::awaitable<void> {
    auto url = "http://127.0.0.1:" + std::to_string(closed_port);
    auto response = co_await http_get(co_await asio::this_coro::executor, url, 2s);
    EXPECT_EQ(response.error, ClientError::connect_failed);
    EXPECT_NE(response.message.find("127.0.0.1:" + std::to_string(closed_port)), std::string::npos) << response.message;
    response = co_await http_get(co_await asio::this_coro::executor, "not a url", 2s);
    EXPECT_EQ(response.error, ClientError::invalid_url);
  });
}

TEST_F(HttpTest, GarbageResponseIsBadResponse) {
  tcp::acceptor fake(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  run([&]() -> asio::awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(
        executor,
        [&]() -> asio::awaitable<void> {
          auto socket = co_await fake.async_accept(asio::use_awaitable);
          co_await asio::async_write(socket, asio::buffer(std::string("SPDY/9 what\r\n\r\n")), asio::use_awaitable);
          co_await sleep_for(200ms);
        },
        [](std::exception_ptr) {});
    auto url = "http://127.0.0.1:" + std::to_string(fake.local_endpoint().port());
    auto response = co_await http_get(executor, url, 2s);
    EXPECT_EQ(response.error, ClientError::bad_response) << response.message;
  });
}

// Raw socket: two pipelined requests in one write, then a malformed one.
TEST_F(HttpTest, KeepAlivePipeliningAndMalformedRequests) {
  int handled = 0;
  start([&](const Request& request, Responder& responder) -> asio::awaitable<void> {
    ++handled;
    co_await sleep_for(20ms);  // the second request arrives while this handler runs
    co_await responder.send(200, "text/plain", "echo " + request.path);
  });
  run([&]() -> asio::awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    tcp::socket socket(executor);
    co_await socket.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), server_->port()),
                                  asio::use_awaitable);
    std::string two = "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n";
    co_await asio::async_write(socket, asio::buffer(two), asio::use_awaitable);
    std::string received;
    char buffer[4096];
    while (received.find("echo /two") == std::string::npos) {
      boost::system::error_code ec;
      auto n = co_await socket.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      received.append(buffer, n);
    }
    EXPECT_NE(received.find("echo /one"), std::string::npos) << received;
    EXPECT_NE(received.find("echo /two"), std::string::npos) << received;
    EXPECT_LT(received.find("echo /one"), received.find("echo /two"));

    std::string bad = "BAD\x01REQUEST\r\n\r\n";
    co_await asio::async_write(socket, asio::buffer(bad), asio::use_awaitable);
    received.clear();
    for (;;) {  // the server answers 400 and closes
      boost::system::error_code ec;
      auto n = co_await socket.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      received.append(buffer, n);
    }
    EXPECT_EQ(received.rfind("HTTP/1.1 400", 0), 0u) << received;
    EXPECT_NE(received.find("bad_http_request"), std::string::npos) << received;
  });
  EXPECT_EQ(handled, 2);
}

// Sends `text` on a fresh raw connection and returns everything received until the server
// closes (or `stop_at` appears, when given).
asio::awaitable<std::string> raw_exchange(uint16_t port, std::string text, std::string stop_at = {}) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), asio::use_awaitable);
  co_await asio::async_write(socket, asio::buffer(text), asio::use_awaitable);
  std::string received;
  char buffer[4096];
  while (stop_at.empty() || received.find(stop_at) == std::string::npos) {
    boost::system::error_code ec;
    auto n = co_await socket.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    received.append(buffer, n);
  }
  co_return received;
}

TEST_F(HttpTest, ExpectContinueOversizedHeadAndHttp10Streaming) {
  start([&](const Request& request, Responder& responder) -> asio::awaitable<void> {
    if (request.path == "/stream") {
      co_await responder.begin_stream(200, "text/plain");
      co_await responder.write("abc");
      co_await responder.write("def");
      co_await responder.end_stream();
    } else {
      co_await responder.send(200, "text/plain", "got " + request.body);
    }
  });
  run([&]() -> asio::awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    // 100-continue: the server invites the body before the client sends it.
    tcp::socket socket(executor);
    co_await socket.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), server_->port()),
                                  asio::use_awaitable);
    std::string head = "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
    co_await asio::async_write(socket, asio::buffer(head), asio::use_awaitable);
    char buffer[4096];
    auto n = co_await socket.async_read_some(asio::buffer(buffer), asio::use_awaitable);
    EXPECT_EQ(std::string(buffer, n), "HTTP/1.1 100 Continue\r\n\r\n");
    co_await asio::async_write(socket, asio::buffer(std::string("hello")), asio::use_awaitable);
    std::string received;
    while (received.find("got hello") == std::string::npos) {
      boost::system::error_code ec;
      n = co_await socket.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      received.append(buffer, n);
    }
    EXPECT_EQ(received.rfind("HTTP/1.1 200", 0), 0u) << received;

    // A head beyond max_header_bytes (16 KiB by default) gets 431.
    auto big = co_await raw_exchange(server_->port(),
                                     "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
    EXPECT_EQ(big.rfind("HTTP/1.1 431", 0), 0u) << big.substr(0, 200);
    EXPECT_NE(big.find("headers_too_large"), std::string::npos);

    // HTTP/1.0 has no chunked encoding: the body is raw and the close marks its end.
    auto old = co_await raw_exchange(server_->port(), "GET /stream HTTP/1.0\r\n\r\n");
    EXPECT_EQ(old.rfind("HTTP/1.0 200", 0), 0u) << old;
    EXPECT_EQ(old.find("chunked"), std::string::npos) << old;
    EXPECT_EQ(old.substr(old.size() - 6), "abcdef") << old;
  });
}

TEST_F(HttpTest, HundredsOfConcurrentConnections) {
  constexpr int kClients = 300;
  int in_flight = 0, max_in_flight = 0;
  start([&](const Request& request, Responder& responder) -> asio::awaitable<void> {
    max_in_flight = std::max(max_in_flight, ++in_flight);
    // Held until every client is in (or 3 s passed): a server that handled them one at a time would
    // never get there, however fast or slow (sanitizers) the build is.
    for (int waited_ms = 0; max_in_flight < kClients && waited_ms < 3000; waited_ms += 5) co_await sleep_for(5ms);
    --in_flight;
    co_await responder.send(200, "text/plain", request.body);
  });
  run(
      [&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        int ok = 0, finished = 0;
        for (int i = 0; i < kClients; ++i) {
          asio::co_spawn(
              executor,
              [&, i]() -> asio::awaitable<void> {
                auto response = co_await http_fetch(executor, post(base(), "/", std::to_string(i), 10s));
                if (response.status == 200 && response.body == std::to_string(i)) ++ok;
                ++finished;
              },
              [](std::exception_ptr) {});
        }
        while (finished < kClients) co_await sleep_for(10ms);
        EXPECT_EQ(ok, kClients);
      },
      20s);
  EXPECT_GT(max_in_flight, 100);  // they really ran side by side
}

TEST_F(HttpTest, StopClosesConnectionsAndHandlersSeeTheirPeerGone) {
  bool gone = false;
  asio::steady_timer hold(io_);
  start([&](const Request&, Responder& responder) -> asio::awaitable<void> {
    responder.on_peer_gone([&] {
      gone = true;
      hold.cancel();
    });
    co_await wait_signal(hold, 5000ms);
  });
  run([&]() -> asio::awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(
        executor,
        [&]() -> asio::awaitable<void> {
          co_await sleep_for(100ms);
          server_->stop();
        },
        [](std::exception_ptr) {});
    auto result = co_await http_get(executor, base(), 3s);
    EXPECT_EQ(result.error, ClientError::read_failed) << result.message;
  });
  EXPECT_TRUE(gone);
}

}  // namespace
