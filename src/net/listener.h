#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>

#include "net/connection.h"

namespace chrysalis::net {

// Accepts TCP connections and runs the TLS and protocol handshakes concurrently, so one slow
// or hostile peer cannot hold up others. Hands each established connection to `on_connection`.
class Listener {
 public:
  using OnConnection = std::function<void(std::shared_ptr<Connection>)>;
  Listener(boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls, ConnectionOptions options,
           OnConnection on_connection);
  // Throws with a message naming the address when it cannot bind.
  void listen(const Endpoint& at);
  uint16_t port() const;
  void stop();
  uint64_t refused() const { return refused_; }
  uint64_t pow_refused() const { return pow_refused_; }  // closed before TLS: no valid proof of work

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  ConnectionOptions options_;
  OnConnection on_connection_;
  uint64_t refused_ = 0;
  uint64_t pow_refused_ = 0;
};

// Keeps one outbound connection up: dials, and after any failure or disconnect waits with
// exponential backoff (0.25 s doubling to 30 s, ±25 % jitter) and dials again.
class Dialer : public std::enable_shared_from_this<Dialer> {
 public:
  using OnUp = std::function<void(std::shared_ptr<Connection>)>;
  using OnFrame = std::function<void(const std::shared_ptr<Connection>&, proto::Frame&)>;
  using OnDown = std::function<void(const std::shared_ptr<Connection>&, const std::string& reason)>;

  Dialer(boost::asio::any_io_executor ex, Endpoint target, std::shared_ptr<boost::asio::ssl::context> tls,
         ConnectionOptions options, OnUp on_up, OnFrame on_frame, OnDown on_down);
  void start();
  void stop();
  const Endpoint& target() const { return target_; }
  std::shared_ptr<Connection> connection() const { return current_; }
  const std::string& last_error() const { return last_error_; }
  uint64_t attempts() const { return attempts_; }

 private:
  boost::asio::awaitable<void> run();
  boost::asio::any_io_executor ex_;
  Endpoint target_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  ConnectionOptions options_;
  OnUp on_up_;
  OnFrame on_frame_;
  OnDown on_down_;
  std::shared_ptr<Connection> current_;
  boost::asio::steady_timer wait_;
  bool stopped_ = false;
  std::string last_error_;
  uint64_t attempts_ = 0;
};

}  // namespace chrysalis::net
