#include "http/http_server.h"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <stdexcept>
#include <unordered_set>

#include "api/openai_error.h"

namespace chrysalis::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

struct Server::State {
  State(asio::io_context& io_context, Handler h, ServerLimits l)
      : io(io_context), handler(std::move(h)), limits(l), acceptor(io_context) {}
  asio::io_context& io;
  Handler handler;
  ServerLimits limits;
  tcp::acceptor acceptor;
  std::unordered_set<detail::Connection*> connections;
  bool stopped = false;
  // "host:port" forms a page this server served itself is loaded from (its own origin); a page
  // there may call the API. Only the listen address and loopback names: a DNS-rebinding site
  // (evil.example resolving to 127.0.0.1) has an origin of its own and stays refused.
  std::vector<std::string> own_hosts;
};

namespace detail {

// One accepted socket: reads requests one after another (keep-alive), runs the handler for each,
// and while the handler runs keeps a read pending so that a vanished peer is noticed at once.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<Server::State> state)
      : socket_(std::move(socket)),
        state_(std::move(state)),
        io_timer_(socket_.get_executor()),
        watch_done_(socket_.get_executor()) {
    error_code ec;
    auto peer = socket_.remote_endpoint(ec);
    if (!ec) remote_ = peer.address().to_string() + ":" + std::to_string(peer.port());
    state_->connections.insert(this);
  }
  ~Connection() { state_->connections.erase(this); }

  static asio::awaitable<void> run(std::shared_ptr<Connection> self) { co_await self->serve(); }

  void close() {
    closed_ = true;
    error_code ec;
    socket_.close(ec);
  }

  // --- what Responder forwards to ---
  asio::awaitable<void> send(int status, std::string_view content_type, std::string body, const Headers& extra);
  asio::awaitable<bool> begin_stream(int status, std::string_view content_type, const Headers& extra);
  asio::awaitable<bool> write(std::string_view data);
  asio::awaitable<void> end_stream(std::string_view last = {});
  bool peer_gone() const { return peer_gone_; }
  bool started() const { return started_; }
  void on_peer_gone(std::function<void()> callback) {
    if (peer_gone_) {
      callback();  // the handler is running, so whatever the callback captured is still alive
      return;
    }
    peer_gone_callback_ = std::move(callback);
  }

 private:
  static constexpr std::size_t kMaxPipelinedBytes = 64 * 1024;  // read ahead while a handler runs
  static constexpr std::size_t kMaxDrainBytes = 64 * 1024 * 1024;

  asio::awaitable<void> serve();
  asio::awaitable<void> handle(const Request& request);
  asio::awaitable<void> answer_read_error(error_code ec, bool got_some);
  asio::awaitable<void> send_error(const api::ApiError& error) {
    co_await send(error.status, "application/json", error.body(), {});
  }
  asio::awaitable<void> send_preflight();
  // The page that sent the request was served by this very server (same origin, own address).
  bool is_own_origin(const Request& request, const std::string& origin) const {
    auto host = request.headers.find("host");
    if (host == request.headers.end() || origin != "http://" + host->second) return false;
    const auto& own = state_->own_hosts;
    return std::find(own.begin(), own.end(), host->second) != own.end();
  }
  asio::awaitable<void> drain_and_close();
  template <typename Message>
  asio::awaitable<bool> write_message(Message& message);

  static asio::awaitable<void> watch(std::shared_ptr<Connection> self);
  void start_watching();
  asio::awaitable<void> stop_watching();
  void mark_peer_gone();

  // Deadline of the current read or write: on expiry the socket is closed, failing the operation.
  // The generation guards against a stale expiry that was already queued when we re-armed.
  void arm(std::chrono::steady_clock::duration timeout) {
    auto generation = ++deadline_generation_;
    io_timer_.expires_after(timeout);
    io_timer_.async_wait([weak = weak_from_this(), generation](error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->deadline_generation_ != generation) return;
      error_code ignored;
      self->socket_.close(ignored);
    });
  }
  void disarm() {
    ++deadline_generation_;
    io_timer_.cancel();
  }

  void prepare_head(bhttp::fields& fields, std::string_view content_type, const Headers& extra) const {
    fields.set(bhttp::field::server, "chrysalis");
    if (!allowed_origin_.empty()) {
      fields.set(bhttp::field::access_control_allow_origin, allowed_origin_);
      fields.set(bhttp::field::vary, "Origin");
      // A page may read which request it was and what it cost, not every header we send.
      fields.set(bhttp::field::access_control_expose_headers,
                 "X-Request-Id, X-Chrysalis-Request-Id, X-Chrysalis-Cost-Nano");
    }
    if (!content_type.empty())
      fields.set(bhttp::field::content_type, beast::string_view(content_type.data(), content_type.size()));
    for (const auto& [name, value] : extra) fields.set(beast::string_view(name), value);
  }

  tcp::socket socket_;
  std::shared_ptr<Server::State> state_;
  std::string remote_;
  std::string allowed_origin_;  // the current request's Origin when it is in cors_origins
  beast::flat_buffer buffer_;
  asio::steady_timer io_timer_;
  asio::steady_timer watch_done_;  // cancelled by the watcher when it ends: a one-shot signal
  uint64_t deadline_generation_ = 0;
  bool watching_ = false;
  bool stop_watch_ = false;
  bool closed_ = false;

  // State of the request being answered.
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool started_ = false;
  bool streaming_ = false;
  bool stream_ended_ = false;
  bool peer_gone_ = false;
  std::function<void()> peer_gone_callback_;
};

namespace {

bool is_parse_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

// Statuses that must not carry a body (RFC 9110).
bool bodiless(int status) { return status < 200 || status == 204 || status == 304; }

}  // namespace

asio::awaitable<void> Connection::serve() {
  while (!closed_) {
    RequestParser parser;
    limit_request_parser(parser, state_->limits);
    error_code ec;
    started_ = streaming_ = stream_ended_ = peer_gone_ = false;
    version_ = 11;
    keep_alive_ = false;
    arm(state_->limits.read_timeout);
    co_await bhttp::async_read_header(socket_, buffer_, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && !parser.is_done()) {
      // curl and others wait for this before sending a large body.
      auto expect = parser.get()[bhttp::field::expect];
      if (beast::iequals(expect, "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        co_await asio::async_write(socket_, asio::buffer(kContinue), asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!ec) co_await bhttp::async_read(socket_, buffer_, parser, asio::redirect_error(asio::use_awaitable, ec));
    }
    disarm();
    if (ec) {
      co_await answer_read_error(ec, parser.got_some());
      break;
    }

    auto& message = parser.get();
    version_ = message.version();
    keep_alive_ = message.keep_alive();
    Request request = to_request(message, remote_);
    auto origin = request.headers.find("origin");
    const auto& allowed = state_->limits.cors_origins;
    allowed_origin_.clear();
    if (origin != request.headers.end() && std::find(allowed.begin(), allowed.end(), origin->second) != allowed.end())
      allowed_origin_ = origin->second;
    if (origin != request.headers.end() && allowed_origin_.empty() && !is_own_origin(request, origin->second))
      co_await send_error(api::invalid_request("origin_not_allowed",
                                               "requests from web pages are refused: origin '" +
                                                   origin->second.substr(0, 200) +
                                                   "' is not in this node's cors_origins",
                                               {}, 403));
    else if (message.method() == bhttp::verb::options)
      co_await send_preflight();
    else
      co_await handle(request);
    if (!keep_alive_ || peer_gone_) break;
  }
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

asio::awaitable<void> Connection::handle(const Request& request) {
  Responder responder(*this);
  start_watching();
  std::string failure;
  try {
    co_await state_->handler(request, responder);
  } catch (const std::exception& e) {
    failure = e.what();
    if (failure.empty()) failure = "exception without message";
  } catch (...) {
    failure = "unknown exception";
  }
  peer_gone_callback_ = nullptr;  // the handler's frame is gone: never call into it again
  co_await stop_watching();

  if (!failure.empty()) {
    spdlog::error("http: handler for {} {} from {} threw: {}", request.method, request.path, remote_, failure);
    if (!started_) {
      co_await send_error(api::internal_error());
    } else {
      keep_alive_ = false;  // a half-sent answer can only be cut off; the peer sees it incomplete
    }
  } else if (!started_) {
    spdlog::error("http: handler for {} {} sent no response", request.method, request.path);
    co_await send_error(api::internal_error("the server produced no response"));
  } else if (streaming_ && !stream_ended_) {
    co_await end_stream();
  }
}

asio::awaitable<void> Connection::answer_read_error(error_code ec, bool got_some) {
  if (ec == bhttp::error::body_limit) {
    co_await send_error(api::payload_too_large(state_->limits.max_body_bytes));
    co_await drain_and_close();
  } else if (ec == bhttp::error::header_limit) {
    co_await send_error(api::invalid_request(
        "headers_too_large",
        "request head exceeds the limit of " + std::to_string(state_->limits.max_header_bytes) + " bytes", {}, 431));
  } else if (got_some && is_parse_error(ec)) {
    co_await send_error(api::invalid_request("bad_http_request", "malformed HTTP request: " + ec.message()));
  }
  // Anything else (peer closed, reset, read timeout) has nobody left to answer.
}

asio::awaitable<void> Connection::drain_and_close() {
  // Closing while the peer still sends would reset the connection and could destroy our 413
  // before the peer reads it; so stop sending, swallow the rest for a while, then close.
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  arm(std::chrono::seconds(2));
  std::array<char, 16384> sink;
  std::size_t total = 0;
  while (!ec && total < kMaxDrainBytes) {
    total += co_await socket_.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
  }
  disarm();
  socket_.close(ec);
}

asio::awaitable<void> Connection::send_preflight() {
  started_ = true;
  bhttp::response<bhttp::empty_body> response{bhttp::status::no_content, version_};
  prepare_head(response.base(), {}, {});
  response.set(bhttp::field::access_control_allow_methods, "GET, POST, OPTIONS");
  // The headers an OpenAI client sends; not an echo of whatever the page asks for.
  response.set(bhttp::field::access_control_allow_headers, "Content-Type, Authorization, X-Request-Id");
  response.set(bhttp::field::access_control_max_age, "86400");
  response.keep_alive(keep_alive_);
  co_await write_message(response);
}

template <typename Message>
asio::awaitable<bool> Connection::write_message(Message& message) {
  error_code ec;
  arm(state_->limits.read_timeout);
  co_await bhttp::async_write(socket_, message, asio::redirect_error(asio::use_awaitable, ec));
  disarm();
  if (ec) mark_peer_gone();
  co_return !ec;
}

asio::awaitable<void> Connection::send(int status, std::string_view content_type, std::string body,
                                       const Headers& extra) {
  if (started_) {
    spdlog::warn("http: second response to one request ignored (status {})", status);
    co_return;
  }
  started_ = true;
  if (peer_gone_) co_return;
  if (status < 100 || status > 999) status = 500;
  bhttp::response<bhttp::string_body> response;
  response.version(version_);
  response.result(static_cast<unsigned>(status));
  prepare_head(response.base(), content_type, extra);
  response.keep_alive(keep_alive_);
  if (bodiless(status)) body.clear();
  response.body() = std::move(body);
  if (!bodiless(status)) response.prepare_payload();
  co_await write_message(response);
}

asio::awaitable<bool> Connection::begin_stream(int status, std::string_view content_type, const Headers& extra) {
  if (started_) co_return false;
  started_ = streaming_ = true;
  if (peer_gone_) co_return false;
  if (status < 100 || status > 999) status = 500;
  bhttp::response<bhttp::empty_body> response;
  response.version(version_);
  response.result(static_cast<unsigned>(status));
  prepare_head(response.base(), content_type, extra);
  if (version_ < 11) {
    keep_alive_ = false;  // HTTP/1.0 has no chunked encoding: the end of the body is the close
    response.keep_alive(false);
  } else {
    response.keep_alive(keep_alive_);
    response.chunked(true);
  }
  bhttp::response_serializer<bhttp::empty_body> serializer{response};
  error_code ec;
  arm(state_->limits.read_timeout);
  co_await bhttp::async_write_header(socket_, serializer, asio::redirect_error(asio::use_awaitable, ec));
  disarm();
  if (ec) mark_peer_gone();
  co_return !ec;
}

asio::awaitable<bool> Connection::write(std::string_view data) {
  if (!streaming_ || stream_ended_ || peer_gone_) co_return false;
  if (data.empty()) co_return true;  // an empty chunk would mean "end of body"
  error_code ec;
  arm(state_->limits.read_timeout);
  if (version_ < 11)
    co_await asio::async_write(socket_, asio::buffer(data), asio::redirect_error(asio::use_awaitable, ec));
  else
    co_await asio::async_write(socket_, bhttp::make_chunk(asio::buffer(data)),
                               asio::redirect_error(asio::use_awaitable, ec));
  disarm();
  if (ec) mark_peer_gone();
  co_return !ec;
}

asio::awaitable<void> Connection::end_stream(std::string_view last) {
  if (!streaming_ || stream_ended_) co_return;
  if (version_ < 11) {
    if (!last.empty()) co_await write(last);
    stream_ended_ = true;
    co_return;
  }
  stream_ended_ = true;
  if (peer_gone_) co_return;
  error_code ec;
  arm(state_->limits.read_timeout);
  // The last data chunk and the terminating zero-size chunk in one write: one segment, one syscall.
  std::string wire;
  if (!last.empty()) wire = fmt::format("{:x}\r\n{}\r\n", last.size(), last);
  wire += "0\r\n\r\n";
  co_await asio::async_write(socket_, asio::buffer(wire), asio::redirect_error(asio::use_awaitable, ec));
  disarm();
  if (ec) mark_peer_gone();
}

void Connection::mark_peer_gone() {
  if (peer_gone_) return;
  peer_gone_ = true;
  keep_alive_ = false;
  if (auto callback = std::move(peer_gone_callback_)) {
    peer_gone_callback_ = nullptr;
    callback();
  }
}

void Connection::start_watching() {
  watching_ = true;
  stop_watch_ = false;
  asio::co_spawn(socket_.get_executor(), watch(shared_from_this()), asio::detached);
}

asio::awaitable<void> Connection::watch(std::shared_ptr<Connection> self) {
  // Bytes read here (a pipelined next request) stay in buffer_ for the next parse.
  error_code ec;
  while (!self->stop_watch_ && self->buffer_.size() < kMaxPipelinedBytes) {
    auto n = co_await self->socket_.async_read_some(self->buffer_.prepare(4096),
                                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!self->stop_watch_) self->mark_peer_gone();  // EOF, reset, or our own close()
      break;
    }
    self->buffer_.commit(n);
  }
  self->watching_ = false;
  self->watch_done_.cancel();
}

asio::awaitable<void> Connection::stop_watching() {
  if (!watching_) co_return;
  stop_watch_ = true;
  error_code ec;
  socket_.cancel(ec);  // nothing else is pending on the socket while no handler runs
  watch_done_.expires_at(asio::steady_timer::time_point::max());
  while (watching_) co_await watch_done_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace detail

// --- Responder ---

Headers Responder::with_always(const Headers& extra) const {
  Headers all = always_;
  all.insert(all.end(), extra.begin(), extra.end());
  return all;
}

asio::awaitable<void> Responder::send(int status, std::string_view content_type, std::string body,
                                      const Headers& extra) {
  const Headers all = with_always(extra);  // lives in this frame for as long as the send
  co_await connection_.send(status, content_type, std::move(body), all);
}
asio::awaitable<bool> Responder::begin_stream(int status, std::string_view content_type, const Headers& extra) {
  const Headers all = with_always(extra);
  co_return co_await connection_.begin_stream(status, content_type, all);
}
asio::awaitable<bool> Responder::write(std::string_view data) { return connection_.write(data); }
asio::awaitable<void> Responder::end_stream(std::string_view last) { return connection_.end_stream(last); }
bool Responder::peer_gone() const { return connection_.peer_gone(); }
void Responder::on_peer_gone(std::function<void()> callback) { connection_.on_peer_gone(std::move(callback)); }
bool Responder::started() const { return connection_.started(); }

// --- Server ---

namespace {

asio::awaitable<void> accept_loop(std::shared_ptr<Server::State> state) {
  asio::steady_timer backoff(state->io);
  for (;;) {
    error_code ec;
    tcp::socket socket = co_await state->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (state->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Typically out of file descriptors: wait instead of spinning on the error.
      spdlog::warn("http: accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);  // stream chunks must not wait for Nagle
    auto connection = std::make_shared<detail::Connection>(std::move(socket), state);
    asio::co_spawn(state->io, detail::Connection::run(std::move(connection)), asio::detached);
  }
}

tcp::endpoint resolve_listen_address(asio::io_context& io, const std::string& host, uint16_t port) {
  if (host.empty() || host == "*") return {tcp::v4(), port};
  if (host == "localhost") return {asio::ip::address_v4::loopback(), port};
  error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (!ec) return {address, port};
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, std::to_string(port));  // throws when unknown
  return *results.begin();
}

}  // namespace

Server::Server(asio::io_context& io, Handler handler, ServerLimits limits)
    : state_(std::make_shared<State>(io, std::move(handler), limits)) {}

Server::~Server() { stop(); }

void Server::listen(const std::string& host, uint16_t port) {
  if (state_->acceptor.is_open()) throw std::logic_error("http server already listening");
  auto endpoint = resolve_listen_address(state_->io, host, port);
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  state_->stopped = false;
  const std::string port_text = std::to_string(acceptor.local_endpoint().port());
  state_->own_hosts = {host + ":" + port_text, "localhost:" + port_text, "127.0.0.1:" + port_text,
                       "[::1]:" + port_text};
  asio::co_spawn(state_->io, accept_loop(state_), asio::detached);
}

uint16_t Server::port() const {
  error_code ec;
  auto endpoint = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void Server::stop() {
  state_->stopped = true;
  error_code ec;
  state_->acceptor.close(ec);
  for (auto* connection : state_->connections) connection->close();
}

std::size_t Server::open_connections() const { return state_->connections.size(); }

}  // namespace chrysalis::http
