#pragma once
#include <utility>  // before Boost 1.74 awaitable.hpp, which uses std::exchange without including it

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/server_request.h"

namespace boost::asio {
class io_context;
}

namespace chrysalis::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

namespace detail {
class Connection;
}

// The way a handler answers its one request: either send() once, or begin_stream(), write()
// any number of chunks and end_stream(). Calls must not overlap (await each before the next).
// Whatever the handler leaves undone the server completes: no answer at all becomes a 500,
// an unfinished stream is ended. All calls are harmless once the peer is gone.
class Responder {
 public:
  boost::asio::awaitable<void> send(int status, std::string_view content_type, std::string body,
                                    const Headers& extra = {});
  // Sends the head with chunked transfer encoding; false when the peer is gone.
  boost::asio::awaitable<bool> begin_stream(int status, std::string_view content_type, const Headers& extra = {});
  // Sends one chunk now (empty data sends nothing); false once the peer is gone.
  boost::asio::awaitable<bool> write(std::string_view data);
  // Ends the stream; `last` (if any) goes out as its last chunk in the same write.
  boost::asio::awaitable<void> end_stream(std::string_view last = {});

  bool peer_gone() const;
  // Fired once as soon as the server notices the peer closed its connection, even while the
  // handler waits and writes nothing (a read stays pending during the handler). Registered
  // after the peer left, it fires soon after (posted, never inside this call).
  void on_peer_gone(std::function<void()> callback);

  bool started() const;  // a response (or stream head) went out

  // A header every response head from here on carries, whatever path answers (X-Request-Id).
  void add_header(std::string name, std::string value) { always_.emplace_back(std::move(name), std::move(value)); }

 private:
  friend class detail::Connection;
  explicit Responder(detail::Connection& connection) : connection_(connection) {}
  Headers with_always(const Headers& extra) const;
  detail::Connection& connection_;
  Headers always_;
};

using Handler = std::function<boost::asio::awaitable<void>(const Request&, Responder&)>;

// HTTP/1.1 server with keep-alive on one io_context. It answers CORS preflights itself (204 for an
// allowed origin, 403 otherwise), turns unparsable requests into 400, oversized bodies into 413,
// requests from origins not allowed into 403 and handler exceptions into 500, all with
// OpenAI-shaped bodies.
class Server {
 public:
  Server(boost::asio::io_context& io, Handler handler, ServerLimits limits = {});
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting; port 0 picks a free one (see port()). Throws
  // boost::system::system_error when the address cannot be bound.
  void listen(const std::string& host, uint16_t port);
  uint16_t port() const;
  // Closes the listener and every open connection; handlers see their peer gone.
  void stop();
  std::size_t open_connections() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace chrysalis::http
