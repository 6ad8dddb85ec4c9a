#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "chrysalis.pb.h"
#include "common/endpoint.h"
#include "crypto/peer_verifier.h"
#include "net/connection_guards.h"
#include "net/frame_codec.h"
#include "net/pow_handshake.h"
#include "net/tls_stream.h"

namespace chrysalis::net {

constexpr uint32_t kProtocolMinVersion = 1;
constexpr uint32_t kProtocolMaxVersion = 1;

struct ConnectionOptions {
  proto::Role local_role = proto::ROLE_UNKNOWN;
  std::string node_id;
  std::set<proto::Role> accepted_peer_roles;  // acceptor side: who may connect
  uint32_t min_version = kProtocolMinVersion;
  uint32_t max_version = kProtocolMaxVersion;
  std::size_t max_frame_bytes = kDefaultMaxFrameBytes;
  std::chrono::milliseconds ping_interval{5000};
  std::chrono::milliseconds idle_timeout{20000};
  std::chrono::milliseconds handshake_timeout{10000};
  PowSettings pow;  // flood guard before TLS: listener difficulty, or dialer expectation
  ConnectionLimits limits;
  std::shared_ptr<ConnectionGuards> guards = std::make_shared<ConnectionGuards>();  // shared per listener
};

// One authenticated TLS 1.3 connection carrying framed protobuf messages. Requests are
// multiplexed by stream id: the dialing side numbers its streams odd, the accepting side even.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Stream = TlsStream;
  using FrameHandler = std::function<void(proto::Frame&)>;
  using CloseHandler = std::function<void(const std::string& reason)>;

  // Both throw std::runtime_error naming the failed step (connect, TLS, handshake and the peer's reason).
  // Parameters by value: the coroutine outlives a caller's temporaries (co_spawn(io, dial({host, port}, ...))).
  static boost::asio::awaitable<std::shared_ptr<Connection>> dial(Endpoint to,
                                                                  std::shared_ptr<boost::asio::ssl::context> tls,
                                                                  ConnectionOptions options);
  static boost::asio::awaitable<std::shared_ptr<Connection>> accept(boost::asio::ip::tcp::socket socket,
                                                                    std::shared_ptr<boost::asio::ssl::context> tls,
                                                                    ConnectionOptions options);

  Connection(Stream stream, std::shared_ptr<boost::asio::ssl::context> tls, ConnectionOptions options, bool dialer);
  ~Connection();

  // Starts reading, pinging and the idle watchdog. Handlers run on the connection's executor.
  void start(FrameHandler on_frame, CloseHandler on_close);
  void send(const proto::Frame& frame);
  // Tells the peer to stop work on `stream`.
  void send_cancel(uint64_t stream, const std::string& reason);
  // Sends a Goodbye with the reason (best effort) and closes; the close handler runs once.
  void close(const std::string& reason);

  bool open() const { return !closed_; }
  uint64_t id() const { return id_; }
  uint64_t next_stream_id() { return next_stream_ += 2; }
  uint32_t version() const { return version_; }
  proto::Role peer_role() const { return peer_role_; }
  const std::string& peer_node_id() const { return peer_node_id_; }
  const crypto::PeerIdentity& peer_identity() const { return peer_identity_; }
  // The certificate the peer presented in the handshake, kept so that a live connection can be
  // checked again against a changed policy or the clock (attest/ra_tls/live_peer_rechecks.h).
  const std::shared_ptr<X509>& peer_certificate() const { return peer_cert_; }
  const std::string& remote() const { return remote_; }
  int64_t rtt_us() const { return rtt_us_; }
  int64_t connected_at_us() const { return connected_at_us_; }
  uint64_t frames_in() const { return frames_in_; }
  uint64_t frames_out() const { return frames_out_; }

 private:
  boost::asio::awaitable<void> handshake_as_dialer();
  boost::asio::awaitable<void> handshake_as_acceptor();
  boost::asio::awaitable<proto::Frame> read_one_frame();
  // Throws boost::system::system_error when the write fails.
  boost::asio::awaitable<void> write_or_throw(const std::string& wire);
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> ping_loop();
  void handle_connection_frame(proto::Frame& frame);
  void finish(const std::string& reason);
  // Drops the connection from outside its own handlers (a bound was crossed in send()).
  void abort_later(const std::string& reason);
  bool within_frame_rate();

  Stream stream_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  ConnectionOptions options_;
  bool dialer_;
  uint64_t id_;
  uint64_t next_stream_;
  FrameDecoder decoder_;
  std::deque<std::string> outbox_;
  std::size_t queued_bytes_ = 0;
  bool aborting_ = false;
  double frame_credit_ = 0;  // token bucket for max_frames_per_s
  int64_t credit_at_us_ = 0;
  bool writing_ = false;
  bool closed_ = false;
  bool close_after_flush_ = false;
  boost::asio::steady_timer write_signal_;
  boost::asio::steady_timer ping_timer_;
  FrameHandler on_frame_;
  CloseHandler on_close_;
  uint32_t version_ = 0;
  proto::Role peer_role_ = proto::ROLE_UNKNOWN;
  std::string peer_node_id_;
  crypto::PeerIdentity peer_identity_;
  std::shared_ptr<X509> peer_cert_;
  std::string remote_;
  int64_t rtt_us_ = -1;
  int64_t last_received_us_ = 0;
  int64_t connected_at_us_ = 0;
  uint64_t ping_seq_ = 0;
  uint64_t frames_in_ = 0, frames_out_ = 0;
};

std::string role_name(proto::Role role);

}  // namespace chrysalis::net
