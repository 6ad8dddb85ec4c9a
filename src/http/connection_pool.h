#pragma once
// Idle keep-alive connections to plain-HTTP upstreams (the worker's engine), so that a request
// does not pay for a TCP connect and the engine's accept each time. Single-threaded: owned by one
// io_context, like the node that holds it.
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace chrysalis::http {

struct PoolLimits {
  std::size_t max_idle_per_host = 32;  // beyond this a finished connection is closed, not kept
  // Idle connections older than this are closed rather than reused: an engine closes its own idle
  // ones after a few seconds (Node's http server after 5 s), and reusing one it is closing fails.
  std::chrono::milliseconds max_idle{2000};
};

class ConnectionPool {
 public:
  explicit ConnectionPool(PoolLimits limits = {}) : limits_(limits) {}

  // An idle connection to `authority` (host:port) that still looks open, or nullopt.
  std::optional<boost::asio::ip::tcp::socket> take(const std::string& authority);
  // Keeps a connection whose last response ended cleanly and that the server left open.
  void give_back(const std::string& authority, boost::asio::ip::tcp::socket socket);
  // Counted by StreamingRequest: a new connection opened, or a reused one the server had closed.
  void note_opened() { ++opened_; }
  void note_stale_retry() { ++stale_retries_; }
  // Drops every idle connection (the upstream restarted or went unhealthy).
  void clear();

  std::size_t idle() const;
  nlohmann::json stats() const;

 private:
  struct Idle {
    boost::asio::ip::tcp::socket socket;
    std::chrono::steady_clock::time_point since;
  };
  PoolLimits limits_;
  std::map<std::string, std::deque<Idle>> idle_;
  uint64_t opened_ = 0, reused_ = 0, kept_ = 0, closed_full_ = 0, closed_stale_ = 0, stale_retries_ = 0;
};

}  // namespace chrysalis::http
