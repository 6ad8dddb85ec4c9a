#include "net/connection.h"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>

#include "common/time.h"
#include "net/tls_context.h"

namespace chrysalis::net {

namespace asio = boost::asio;
using asio::use_awaitable;

namespace {
std::atomic<uint64_t> g_next_connection_id{1};

// Closes the socket if a step takes longer than allowed; cancelled when the step is done.
class StepDeadline {
 public:
  StepDeadline(asio::ip::tcp::socket& socket, std::chrono::milliseconds limit, bool& expired)
      : timer_(socket.get_executor()) {
    timer_.expires_after(limit);
    timer_.async_wait([&socket, &expired](boost::system::error_code ec) {
      if (ec) return;
      expired = true;
      boost::system::error_code ignored;
      socket.close(ignored);
    });
  }
  ~StepDeadline() { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};
}  // namespace

std::string role_name(proto::Role role) {
  switch (role) {
    case proto::ROLE_CLIENT:
      return "client";
    case proto::ROLE_PROXY:
      return "proxy";
    case proto::ROLE_WORKER:
      return "worker";
    default:
      return "unknown";
  }
}

Connection::Connection(Stream stream, std::shared_ptr<asio::ssl::context> tls, ConnectionOptions options, bool dialer)
    : stream_(std::move(stream)),
      tls_(std::move(tls)),
      options_(std::move(options)),
      dialer_(dialer),
      id_(g_next_connection_id++),
      next_stream_(dialer ? 1 : 0),
      decoder_(options_.max_frame_bytes),
      write_signal_(stream_.get_executor()),
      ping_timer_(stream_.get_executor()) {
  next_stream_ = dialer ? static_cast<uint64_t>(-1) : 0;  // first id: 1 for dialers, 2 for acceptors
  boost::system::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
}

Connection::~Connection() = default;

asio::awaitable<std::shared_ptr<Connection>> Connection::dial(Endpoint to, std::shared_ptr<asio::ssl::context> tls,
                                                              ConnectionOptions options) {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(ex);
  boost::system::error_code ec;
  auto results =
      co_await resolver.async_resolve(to.host, std::to_string(to.port), asio::redirect_error(use_awaitable, ec));
  if (ec) throw std::runtime_error("resolving " + to.to_string() + ": " + ec.message());
  Stream stream(ex, *tls);
  bool expired = false;
  {
    StepDeadline deadline(stream.socket(), options.handshake_timeout, expired);
    co_await asio::async_connect(stream.socket(), results, asio::redirect_error(use_awaitable, ec));
    if (ec) throw std::runtime_error("connecting to " + to.to_string() + ": " + (expired ? "timed out" : ec.message()));
    stream.socket().set_option(asio::ip::tcp::no_delay(true));
    if (options.pow.expect_puzzle) {
      std::string pow_error;
      try {
        co_await provide_proof_of_work(stream.socket(), options.pow);
      } catch (const std::exception& e) {
        pow_error = e.what();
      }
      if (!pow_error.empty()) throw std::runtime_error(to.to_string() + ": " + pow_error);
    }
    auto tls_handshake = stream.handshake(TlsStream::Side::Client, ec);
    co_await std::move(tls_handshake);
    if (ec) {
      std::string refusal = handshake_refusal(stream.native_handle());
      throw std::runtime_error("TLS handshake with " + to.to_string() + ": " + (expired ? "timed out" : ec.message()) +
                               (refusal.empty() ? "" : " (we refused the peer: " + refusal + ")"));
    }
  }
  auto conn = std::make_shared<Connection>(std::move(stream), tls, std::move(options), true);
  co_await conn->handshake_as_dialer();
  co_return conn;
}

asio::awaitable<std::shared_ptr<Connection>> Connection::accept(asio::ip::tcp::socket socket,
                                                                std::shared_ptr<asio::ssl::context> tls,
                                                                ConnectionOptions options) {
  socket.set_option(asio::ip::tcp::no_delay(true));
  Stream stream(std::move(socket), *tls);
  boost::system::error_code ec;
  bool expired = false;
  {
    StepDeadline deadline(stream.socket(), options.handshake_timeout, expired);
    auto tls_handshake = stream.handshake(TlsStream::Side::Server, ec);
    co_await std::move(tls_handshake);
  }
  if (ec) throw std::runtime_error(std::string("TLS handshake: ") + (expired ? "timed out" : ec.message()));
  auto conn = std::make_shared<Connection>(std::move(stream), tls, std::move(options), false);
  co_await conn->handshake_as_acceptor();
  co_return conn;
}

asio::awaitable<proto::Frame> Connection::read_one_frame() {
  // One read buffer per thread, not one per connection (16 KiB each, in 10,000 idle coroutine
  // frames at a large proxy): TlsStream::read_some fills it only in the step that returns.
  static thread_local char scratch[16384];
  proto::Frame frame;
  std::string error;
  while (!decoder_.next(frame, error)) {
    if (!error.empty()) throw std::runtime_error("protocol violation: " + error);
    auto read = stream_.read_some(asio::buffer(scratch));
    std::size_t n = co_await std::move(read);
    decoder_.feed(scratch, n);
  }
  co_return frame;
}

asio::awaitable<void> Connection::write_or_throw(const std::string& wire) {
  boost::system::error_code ec;
  auto write = stream_.write_all(asio::buffer(wire), ec);
  co_await std::move(write);
  if (ec) throw boost::system::system_error(ec);
}

asio::awaitable<void> Connection::handshake_as_dialer() {
  peer_identity_ = net::peer_identity(stream_.native_handle());
  peer_cert_ = std::shared_ptr<X509>(SSL_get1_peer_certificate(stream_.native_handle()), X509_free);
  proto::Frame hello;
  auto* h = hello.mutable_hello();
  h->set_role(options_.local_role);
  h->set_min_version(options_.min_version);
  h->set_max_version(options_.max_version);
  h->set_node_id(options_.node_id);
  h->set_software("chrysalis/0.1");
  std::string wire = encode_frame(hello);
  bool expired = false;
  StepDeadline deadline(stream_.socket(), options_.handshake_timeout, expired);
  try {
    co_await write_or_throw(wire);
    proto::Frame reply = co_await read_one_frame();
    if (reply.has_goodbye()) throw std::runtime_error("peer refused the handshake: " + reply.goodbye().reason());
    if (!reply.has_hello_ack()) throw std::runtime_error("protocol violation: expected HelloAck");
    version_ = reply.hello_ack().version();
    peer_role_ = reply.hello_ack().role();
    peer_node_id_ = reply.hello_ack().node_id();
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(std::string("handshake: ") + (expired ? "timed out" : e.what()));
  }
  if (version_ < options_.min_version || version_ > options_.max_version)
    throw std::runtime_error("peer chose protocol version " + std::to_string(version_) + " outside our range");
}

asio::awaitable<void> Connection::handshake_as_acceptor() {
  peer_identity_ = net::peer_identity(stream_.native_handle());
  peer_cert_ = std::shared_ptr<X509>(SSL_get1_peer_certificate(stream_.native_handle()), X509_free);
  bool expired = false;
  StepDeadline deadline(stream_.socket(), options_.handshake_timeout, expired);
  proto::Frame first;
  try {
    first = co_await read_one_frame();
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(std::string("handshake: ") + (expired ? "timed out" : e.what()));
  }
  std::string refusal;
  if (!first.has_hello()) {
    refusal = "expected Hello as the first frame";
  } else {
    const auto& h = first.hello();
    uint32_t agreed = std::min(h.max_version(), options_.max_version);
    if (!options_.accepted_peer_roles.count(h.role())) {
      refusal = "role " + role_name(h.role()) + " may not connect to this listener";
    } else if (agreed < std::max(h.min_version(), options_.min_version)) {
      refusal = "no common protocol version (peer " + std::to_string(h.min_version()) + ".." +
                std::to_string(h.max_version()) + ", ours " + std::to_string(options_.min_version) + ".." +
                std::to_string(options_.max_version) + ")";
    } else {
      version_ = agreed;
      peer_role_ = h.role();
      peer_node_id_ = h.node_id();
    }
  }
  proto::Frame reply;
  if (refusal.empty()) {
    auto* ack = reply.mutable_hello_ack();
    ack->set_role(options_.local_role);
    ack->set_version(version_);
    ack->set_node_id(options_.node_id);
  } else {
    reply.mutable_goodbye()->set_reason(refusal);
  }
  std::string wire = encode_frame(reply);
  co_await write_or_throw(wire);
  if (!refusal.empty()) throw std::runtime_error("refused peer " + remote_ + ": " + refusal);
}

void Connection::start(FrameHandler on_frame, CloseHandler on_close) {
  on_frame_ = std::move(on_frame);
  on_close_ = std::move(on_close);
  last_received_us_ = steady_now_us();
  connected_at_us_ = unix_now_us();
  auto self = shared_from_this();
  auto ex = stream_.get_executor();
  asio::co_spawn(
      ex, [self]() { return self->read_loop(); }, asio::detached);
  asio::co_spawn(
      ex, [self]() { return self->write_loop(); }, asio::detached);
  asio::co_spawn(
      ex, [self]() { return self->ping_loop(); }, asio::detached);
}

void Connection::send(const proto::Frame& frame) {
  if (closed_ || close_after_flush_ || aborting_) return;
  std::string wire = encode_frame(frame);
  if (queued_bytes_ + wire.size() > options_.limits.max_queued_bytes) {
    ++options_.guards->send_queue_full;
    abort_later("send queue above " + std::to_string(options_.limits.max_queued_bytes) +
                " bytes: the peer does not read");
    return;
  }
  queued_bytes_ += wire.size();
  options_.guards->note_queued(queued_bytes_);
  outbox_.push_back(std::move(wire));
  ++frames_out_;
  write_signal_.cancel();
}

void Connection::abort_later(const std::string& reason) {
  if (aborting_) return;
  aborting_ = true;
  spdlog::warn("conn={} peer={} ({}) disconnected: {}", id_, peer_node_id_, remote_, reason);
  // Not finished here: send() runs inside other objects' handlers, which must not see the
  // connection's close handler run in the middle of their work.
  asio::post(stream_.get_executor(), [self = shared_from_this(), reason] { self->finish(reason); });
}

bool Connection::within_frame_rate() {
  uint32_t rate = options_.limits.max_frames_per_s;
  if (rate == 0) return true;
  int64_t now = steady_now_us();
  double burst = 2.0 * rate;
  if (credit_at_us_ == 0) frame_credit_ = burst;
  frame_credit_ = std::min(burst, frame_credit_ + (now - credit_at_us_) * rate / 1e6);
  credit_at_us_ = now;
  if (frame_credit_ < 1) return false;
  frame_credit_ -= 1;
  return true;
}

void Connection::send_cancel(uint64_t stream, const std::string& reason) {
  proto::Frame cancel;
  cancel.set_stream(stream);
  cancel.mutable_cancel()->set_reason(reason);
  send(cancel);
}

void Connection::close(const std::string& reason) {
  if (closed_ || close_after_flush_) return;
  proto::Frame bye;
  bye.mutable_goodbye()->set_reason(reason);
  outbox_.push_back(encode_frame(bye));
  close_after_flush_ = true;
  write_signal_.cancel();
  // The close handler runs now so owners drop the connection at once; the socket closes after the flush.
  auto handler = std::move(on_close_);
  on_close_ = nullptr;
  if (handler) handler(reason);
}

void Connection::finish(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
  write_signal_.cancel();
  ping_timer_.cancel();
  auto handler = std::move(on_close_);
  on_close_ = nullptr;
  if (handler) handler(reason);
  on_frame_ = nullptr;
}

asio::awaitable<void> Connection::read_loop() {
  auto self = shared_from_this();
  std::string reason = "closed by peer";
  try {
    while (!closed_) {
      proto::Frame frame = co_await read_one_frame();
      // Once this side has closed (or is dropping the peer), its owners have forgotten the
      // connection: a frame still in the buffer must not reach them (a flood of BillingHellos
      // behind the one that crossed the limit would each start a fresh count). The write loop
      // flushes the goodbye and finishes the connection.
      if (close_after_flush_ || aborting_) co_return;
      ++frames_in_;
      last_received_us_ = steady_now_us();
      bool allowed = within_frame_rate();
      while (!allowed && options_.limits.throttle_frame_rate && !closed_) {
        // Read this peer more slowly: 10 ms refills the bucket by 1% of the rate.
        ++options_.guards->frame_rate_pauses;
        asio::steady_timer pause(stream_.get_executor(), std::chrono::milliseconds(10));
        boost::system::error_code ec;
        auto waited = pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        co_await std::move(waited);
        allowed = within_frame_rate();
      }
      if (closed_) break;
      if (!allowed) {
        ++options_.guards->frame_rate_exceeded;
        reason = "frame rate above " + std::to_string(options_.limits.max_frames_per_s) + "/s";
        spdlog::warn("conn={} peer={} ({}) disconnected: {}", id_, peer_node_id_, remote_, reason);
        close(reason);  // the goodbye is flushed, then the write loop finishes the connection
        co_return;
      }
      if (frame.stream() == 0) {
        handle_connection_frame(frame);
        if (frame.has_goodbye()) {
          reason = "peer said goodbye: " + frame.goodbye().reason();
          break;
        }
      } else if (on_frame_) {
        on_frame_(frame);
      }
    }
  } catch (const boost::system::system_error& e) {
    if (e.code() != asio::error::eof && e.code() != asio::ssl::error::stream_truncated) reason = e.code().message();
  } catch (const std::exception& e) {
    reason = e.what();
    spdlog::warn("conn={} peer={} ({}) disconnected: {}", id_, peer_node_id_, remote_, reason);
  }
  finish(reason);
}

void Connection::handle_connection_frame(proto::Frame& frame) {
  if (frame.has_ping()) {
    proto::Frame pong;
    pong.mutable_pong()->set_id(frame.ping().id());
    pong.mutable_pong()->set_ping_sent_unix_us(frame.ping().sent_unix_us());
    pong.mutable_pong()->set_pong_sent_unix_us(unix_now_us());
    send(pong);
  } else if (frame.has_pong()) {
    rtt_us_ = std::max<int64_t>(0, unix_now_us() - frame.pong().ping_sent_unix_us());
  } else if (frame.has_goodbye()) {
    // handled by the read loop
  } else if (on_frame_) {
    on_frame_(frame);  // connection-level role messages (worker state, models query)
  }
}

asio::awaitable<void> Connection::write_loop() {
  auto self = shared_from_this();
  try {
    while (!closed_) {
      if (outbox_.empty()) {
        if (close_after_flush_) break;
        write_signal_.expires_at(std::chrono::steady_clock::time_point::max());
        boost::system::error_code ec;
        co_await write_signal_.async_wait(asio::redirect_error(use_awaitable, ec));
        continue;
      }
      // Coalesce everything queued into one TLS write.
      std::string batch;
      while (!outbox_.empty() && batch.size() < 256 * 1024) {
        batch += outbox_.front();
        outbox_.pop_front();
      }
      bool expired = false;
      {
        StepDeadline deadline(stream_.socket(), options_.limits.write_timeout, expired);
        boost::system::error_code ec;
        auto write = stream_.write_all(asio::buffer(batch), ec);
        co_await std::move(write);
        if (expired) {
          ++options_.guards->write_timeouts;
          finish("write timed out after " + std::to_string(options_.limits.write_timeout.count()) +
                 " ms: the peer does not read");
          co_return;
        }
        if (ec) throw boost::system::system_error(ec);
      }
      queued_bytes_ -= std::min(queued_bytes_, batch.size());
    }
  } catch (const std::exception& e) {
    finish(std::string("write failed: ") + e.what());
    co_return;
  }
  if (close_after_flush_) finish("closed locally");
}

asio::awaitable<void> Connection::ping_loop() {
  auto self = shared_from_this();
  while (!closed_ && !close_after_flush_) {
    ping_timer_.expires_after(options_.ping_interval);
    boost::system::error_code ec;
    co_await ping_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    if (closed_ || close_after_flush_) break;
    int64_t silent_us = steady_now_us() - last_received_us_;
    if (silent_us > std::chrono::duration_cast<std::chrono::microseconds>(options_.idle_timeout).count()) {
      spdlog::warn("conn={} peer={} ({}) idle for {} ms, closing", id_, peer_node_id_, remote_, silent_us / 1000);
      close("idle timeout");
      break;
    }
    proto::Frame ping;
    ping.mutable_ping()->set_id(++ping_seq_);
    ping.mutable_ping()->set_sent_unix_us(unix_now_us());
    send(ping);
  }
}

}  // namespace chrysalis::net
