// Certificate renewal of a running node: an established RA-TLS connection keeps working across
// NodeAttestation::renew(), and the next handshake presents the new certificate.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <random>
#include <thread>

#include "attest/quote/dev_ca.h"
#include "attest/ra_tls/ra_tls_node.h"
#include "net/listener.h"
#include "support/temp_dir.h"

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace chrysalis;

namespace {

struct RenewalNet {
  test::TempDir tmp{"renew"};
  fs::path dir = tmp.path();
  asio::io_context io;
  std::unique_ptr<attest::NodeAttestation> proxy, worker;
  std::unique_ptr<net::Listener> listener;
  std::vector<std::shared_ptr<net::Connection>> accepted;
  std::vector<proto::Frame> server_frames;

  RenewalNet() {
    attest::write_dev_ca(attest::create_dev_ca(), dir / "ca");
    attest::AttestationSettings s;
    s.provider = "sim";
    s.dev_ca = dir / "ca";
    s.trust = {"dev:" + (dir / "ca").string()};
    proxy = std::make_unique<attest::NodeAttestation>(io.get_executor(), "proxy", "p", "", s, dir / "proxy");
    attest::EngineMeasurement engine{"127.0.0.1"};
    worker = std::make_unique<attest::NodeAttestation>(io.get_executor(), "worker", "w", std::string(64, 'c'), s,
                                                       dir / "worker", &engine);
    net::ConnectionOptions opts;
    opts.local_role = proto::ROLE_PROXY;
    opts.node_id = "p";
    opts.accepted_peer_roles = {proto::ROLE_WORKER};
    listener = std::make_unique<net::Listener>(
        io, proxy->make_context(net::TlsSide::Server, "worker"), opts, [this](std::shared_ptr<net::Connection> c) {
          accepted.push_back(c);
          c->start([this](proto::Frame& f) { server_frames.push_back(f); }, [](const std::string&) {});
        });
    listener->listen({"127.0.0.1", 0});
  }
  ~RenewalNet() {
    proxy->stop();
    worker->stop();
  }

  std::shared_ptr<net::Connection> dial(std::string& error) {
    std::shared_ptr<net::Connection> conn;
    auto tls = worker->make_context(net::TlsSide::Client, "proxy");
    Endpoint to{"127.0.0.1", listener->port()};
    net::ConnectionOptions o;
    o.local_role = proto::ROLE_WORKER;
    o.node_id = "w";
    asio::co_spawn(
        io,
        [&, tls, to, o]() -> asio::awaitable<void> {
          try {
            conn = co_await net::Connection::dial(to, tls, o);
          } catch (const std::exception& e) {
            error = e.what();
          }
        },
        asio::detached);
    run_for(3000, [&] { return conn || !error.empty(); });
    if (conn) conn->start([](proto::Frame&) {}, [](const std::string&) {});
    return conn;
  }

  template <typename Done>
  void run_for(int ms, Done done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_for(std::chrono::milliseconds(20));
    }
  }
};

TEST(AttestRenewal, LiveConnectionsSurviveAndNewHandshakesGetTheNewCertificate) {
  RenewalNet net;
  std::string error;
  auto first = net.dial(error);
  ASSERT_TRUE(first) << error;
  EXPECT_TRUE(first->peer_identity().attested);
  int64_t old_expiry = first->peer_identity().not_after_unix;
  std::string old_cert = net.proxy->identity().cert_pem;

  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // creation times are in seconds
  net.proxy->renew();
  EXPECT_NE(net.proxy->identity().cert_pem, old_cert);
  EXPECT_EQ(net.proxy->stats()["renewals"], 1);
  EXPECT_EQ(net.proxy->identity().public_key_hex, first->peer_identity().public_key_hex) << "the key stays";

  // The old connection still carries frames.
  proto::Frame f;
  f.set_stream(first->next_stream_id());
  f.mutable_part()->add_events("after renewal");
  first->send(f);
  net.run_for(2000, [&] { return !net.server_frames.empty(); });
  ASSERT_EQ(net.server_frames.size(), 1u);
  EXPECT_EQ(net.server_frames[0].part().events(0), "after renewal");

  // A new handshake verifies the renewed certificate (fresh claims, fresh quote).
  auto second = net.dial(error);
  ASSERT_TRUE(second) << error;
  EXPECT_TRUE(second->peer_identity().attested);
  EXPECT_GT(second->peer_identity().not_after_unix, old_expiry);
  first->close("done");
  second->close("done");
  net.run_for(200, [] { return false; });
}

}  // namespace
