#include "net/listener.h"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include "common/random.h"

namespace chrysalis::net {

namespace asio = boost::asio;
using asio::use_awaitable;

Listener::Listener(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls, ConnectionOptions options,
                   OnConnection on_connection)
    : io_(io),
      acceptor_(io),
      tls_(std::move(tls)),
      options_(std::move(options)),
      on_connection_(std::move(on_connection)) {}

void Listener::listen(const Endpoint& at) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(at.host, ec);
  if (ec) throw std::runtime_error("cannot listen on " + at.to_string() + ": bad address");
  asio::ip::tcp::endpoint ep(address, at.port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep, ec);
  if (ec) throw std::runtime_error("cannot listen on " + at.to_string() + ": " + ec.message());
  acceptor_.listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

uint16_t Listener::port() const { return acceptor_.local_endpoint().port(); }

void Listener::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

asio::awaitable<void> Listener::accept_loop() {
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      continue;
    }
    std::string remote;
    auto rep = socket.remote_endpoint(ec);
    if (!ec) remote = rep.address().to_string() + ":" + std::to_string(rep.port());
    asio::co_spawn(
        io_,
        [this, socket = std::move(socket), remote]() mutable -> asio::awaitable<void> {
          if (options_.pow.difficulty > 0) {
            std::string pow_error;
            try {
              co_await demand_proof_of_work(socket, options_.pow);
            } catch (const std::exception& e) {
              pow_error = e.what();
            }
            if (!pow_error.empty()) {
              ++refused_;
              ++pow_refused_;
              spdlog::warn("incoming connection from {} closed before TLS: {}", remote, pow_error);
              co_return;
            }
          }
          try {
            auto conn = co_await Connection::accept(std::move(socket), tls_, options_);
            on_connection_(conn);
          } catch (const std::exception& e) {
            ++refused_;
            spdlog::warn("incoming connection from {} failed: {}", remote, e.what());
          }
        },
        asio::detached);
  }
}

Dialer::Dialer(asio::any_io_executor ex, Endpoint target, std::shared_ptr<asio::ssl::context> tls,
               ConnectionOptions options, OnUp on_up, OnFrame on_frame, OnDown on_down)
    : ex_(ex),
      target_(std::move(target)),
      tls_(std::move(tls)),
      options_(std::move(options)),
      on_up_(std::move(on_up)),
      on_frame_(std::move(on_frame)),
      on_down_(std::move(on_down)),
      wait_(ex) {}

void Dialer::start() {
  auto self = shared_from_this();
  asio::co_spawn(
      ex_, [self]() { return self->run(); }, asio::detached);
}

void Dialer::stop() {
  stopped_ = true;
  wait_.cancel();
  if (current_) current_->close("shutting down");
}

asio::awaitable<void> Dialer::run() {
  auto self = shared_from_this();
  double backoff_s = 0.25;
  while (!stopped_) {
    ++attempts_;
    std::shared_ptr<Connection> conn;
    try {
      conn = co_await Connection::dial(target_, tls_, options_);
    } catch (const std::exception& e) {
      if (last_error_ != e.what()) spdlog::warn("dial {}: {}", target_.to_string(), e.what());
      last_error_ = e.what();
    }
    if (conn && !stopped_) {
      backoff_s = 0.25;
      last_error_.clear();
      current_ = conn;
      auto down = std::make_shared<bool>(false);
      std::weak_ptr<Connection> weak = conn;
      conn->start(
          [this, weak](proto::Frame& f) {
            if (auto c = weak.lock()) on_frame_(c, f);
          },
          [this, weak, down](const std::string& reason) {
            *down = true;
            last_error_ = reason;
            if (auto c = weak.lock()) on_down_(c, reason);
            wait_.cancel();
          });
      on_up_(conn);
      while (!*down && !stopped_) {
        wait_.expires_at(std::chrono::steady_clock::time_point::max());
        boost::system::error_code ec;
        co_await wait_.async_wait(asio::redirect_error(use_awaitable, ec));
      }
      current_.reset();
      if (stopped_) break;
    }
    // Jitter spreads reconnects of many workers after a proxy restart.
    double delay = backoff_s * (0.75 + 0.5 * random_unit());
    backoff_s = std::min(backoff_s * 2, 30.0);
    wait_.expires_after(std::chrono::milliseconds(static_cast<int64_t>(delay * 1000)));
    boost::system::error_code ec;
    co_await wait_.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

}  // namespace chrysalis::net
