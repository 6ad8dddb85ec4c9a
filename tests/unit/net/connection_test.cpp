// Real TLS connections on loopback: handshake, roles, multiplexed frames, protocol violations.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>

#include "crypto/tls_identity.h"
#include "net/listener.h"
#include "net/tls_context.h"

namespace asio = boost::asio;
using namespace chrysalis;

namespace {

struct Loopback {
  asio::io_context io;
  crypto::TlsIdentity server_id = crypto::create_identity("server", 3600);
  crypto::TlsIdentity client_id = crypto::create_identity("client", 3600);
  std::shared_ptr<asio::ssl::context> server_tls =
      net::make_tls_context(server_id, std::make_shared<crypto::SelfSignedVerifier>(), net::TlsSide::Server);
  std::shared_ptr<asio::ssl::context> client_tls =
      net::make_tls_context(client_id, std::make_shared<crypto::SelfSignedVerifier>(), net::TlsSide::Client);
  std::vector<std::shared_ptr<net::Connection>> accepted;
  std::unique_ptr<net::Listener> listener;
  std::vector<proto::Frame> server_frames;
  std::string server_close_reason;
  bool close_after_first_frame = false;

  explicit Loopback(std::set<proto::Role> roles, std::size_t max_frame = net::kDefaultMaxFrameBytes) {
    net::ConnectionOptions opts;
    opts.local_role = proto::ROLE_PROXY;
    opts.node_id = "proxy-under-test";
    opts.accepted_peer_roles = std::move(roles);
    opts.max_frame_bytes = max_frame;
    listener = std::make_unique<net::Listener>(io, server_tls, opts, [this](std::shared_ptr<net::Connection> c) {
      accepted.push_back(c);
      c->start(
          [this, raw = c.get()](proto::Frame& f) {
            server_frames.push_back(f);
            if (close_after_first_frame) raw->close("one frame is enough");
          },
               [this](const std::string& reason) { server_close_reason = reason; });
    });
    listener->listen({"127.0.0.1", 0});
  }

  // Built outside co_await expressions: GCC 12 mishandles braced temporaries inside them.
  Endpoint address() const { return Endpoint{"127.0.0.1", listener->port()}; }

  net::ConnectionOptions client_options(proto::Role role) {
    net::ConnectionOptions o;
    o.local_role = role;
    o.node_id = "peer-under-test";
    return o;
  }

  void run_for(int ms) {
    io.restart();
    io.run_for(std::chrono::milliseconds(ms));
  }
};

}  // namespace

TEST(Connection, HandshakeAgreesVersionAndExchangesFramesOnStreams) {
  Loopback net({proto::ROLE_WORKER});
  std::shared_ptr<net::Connection> client;
  std::string error;
  asio::co_spawn(
      net.io,
      [&]() -> asio::awaitable<void> {
        try {
          client =
              co_await net::Connection::dial(net.address(), net.client_tls, net.client_options(proto::ROLE_WORKER));
        } catch (const std::exception& e) {
          error = e.what();
        }
      },
      asio::detached);
  net.run_for(2000);
  ASSERT_TRUE(client) << error;
  EXPECT_EQ(client->version(), net::kProtocolMaxVersion);
  EXPECT_EQ(client->peer_node_id(), "proxy-under-test");
  EXPECT_EQ(client->peer_identity().public_key_hex, net.server_id.public_key_hex);
  client->start([](proto::Frame&) {}, [](const std::string&) {});
  uint64_t s1 = client->next_stream_id(), s2 = client->next_stream_id();
  EXPECT_EQ(s1 % 2, 1u);
  EXPECT_EQ(s2, s1 + 2);
  for (uint64_t s : {s1, s2}) {
    proto::Frame f;
    f.set_stream(s);
    f.mutable_part()->add_events("event on " + std::to_string(s));
    client->send(f);
  }
  net.run_for(500);
  ASSERT_EQ(net.server_frames.size(), 2u);
  EXPECT_EQ(net.server_frames[1].part().events(0), "event on " + std::to_string(s2));
  ASSERT_EQ(net.accepted.size(), 1u);
  EXPECT_EQ(net.accepted[0]->peer_identity().public_key_hex, net.client_id.public_key_hex);
  client->close("test done");
  net.run_for(300);
}

TEST(Connection, ListenerRefusesAWrongRoleWithAReason) {
  Loopback net({proto::ROLE_WORKER});
  std::string error;
  asio::co_spawn(
      net.io,
      [&]() -> asio::awaitable<void> {
        try {
          co_await net::Connection::dial(net.address(), net.client_tls, net.client_options(proto::ROLE_CLIENT));
        } catch (const std::exception& e) {
          error = e.what();
        }
      },
      asio::detached);
  net.run_for(2000);
  EXPECT_NE(error.find("role client may not connect"), std::string::npos) << error;
  EXPECT_EQ(net.listener->refused(), 1u);
}

TEST(Connection, OversizedFrameDisconnectsThePeerWithoutCrashing) {
  Loopback net({proto::ROLE_WORKER}, 1024);
  std::shared_ptr<net::Connection> client;
  asio::co_spawn(
      net.io,
      [&]() -> asio::awaitable<void> {
        client = co_await net::Connection::dial(net.address(), net.client_tls, net.client_options(proto::ROLE_WORKER));
      },
      asio::detached);
  net.run_for(2000);
  ASSERT_TRUE(client);
  bool client_closed = false;
  client->start([](proto::Frame&) {}, [&](const std::string&) { client_closed = true; });
  proto::Frame big;
  big.set_stream(1);
  big.mutable_part()->add_events(std::string(4096, 'x'));
  client->send(big);
  net.run_for(1000);
  EXPECT_NE(net.server_close_reason.find("exceeds the limit"), std::string::npos) << net.server_close_reason;
  EXPECT_TRUE(client_closed);
  EXPECT_TRUE(net.server_frames.empty());
}

TEST(Connection, PeerWithoutCertificateIsRejected) {
  Loopback net({proto::ROLE_WORKER});
  // A TLS client that presents no certificate must fail the handshake.
  auto bare = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  bare->set_verify_mode(asio::ssl::verify_none);
  std::string error;
  asio::co_spawn(
      net.io,
      [&]() -> asio::awaitable<void> {
        try {
          co_await net::Connection::dial(net.address(), bare, net.client_options(proto::ROLE_WORKER));
        } catch (const std::exception& e) {
          error = e.what();
        }
      },
      asio::detached);
  net.run_for(2000);
  EXPECT_FALSE(error.empty());
  EXPECT_TRUE(net.accepted.empty());
}

TEST(Connection, PingsMeasureRoundTripTime) {
  Loopback net({proto::ROLE_WORKER});
  std::shared_ptr<net::Connection> client;
  auto opts = net.client_options(proto::ROLE_WORKER);
  opts.ping_interval = std::chrono::milliseconds(50);
  asio::co_spawn(
      net.io,
      [&]() -> asio::awaitable<void> { client = co_await net::Connection::dial(net.address(), net.client_tls, opts); },
      asio::detached);
  net.run_for(1000);
  ASSERT_TRUE(client);
  client->start([](proto::Frame&) {}, [](const std::string&) {});
  net.run_for(400);
  EXPECT_GE(client->rtt_us(), 0);
  EXPECT_LT(client->rtt_us(), 1000000);
}

TEST(Connection, NoFrameReachesItsOwnerAfterTheConnectionClosed) {
  // The proxy closes a client that crossed a limit and forgets its per-connection state; frames
  // the client sent in the same burst must not reach the handlers after that (each would find the
  // state gone and start counting afresh).
  Loopback net({proto::ROLE_CLIENT});
  net.close_after_first_frame = true;
  std::shared_ptr<net::Connection> client;
  asio::co_spawn(
      net.io,
      [&]() -> asio::awaitable<void> {
        client = co_await net::Connection::dial(net.address(), net.client_tls, net.client_options(proto::ROLE_CLIENT));
      },
      asio::detached);
  net.run_for(2000);
  ASSERT_TRUE(client);
  std::string client_closed;
  client->start([](proto::Frame&) {}, [&](const std::string& reason) { client_closed = reason; });
  for (int i = 0; i < 50; ++i) {  // queued before the loop runs: one write, one TLS record
    proto::Frame f;
    f.set_stream(client->next_stream_id());
    f.mutable_part()->add_events("frame " + std::to_string(i));
    client->send(f);
  }
  net.run_for(1000);
  EXPECT_EQ(net.server_frames.size(), 1u);
  EXPECT_NE(client_closed.find("one frame is enough"), std::string::npos) << client_closed;
}
