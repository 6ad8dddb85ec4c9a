// Live connections re-checked: a worker admitted at its handshake is dropped, with the failed check
// named and counted, once its certificate expires or the policy stops allowing its model; while
// the policy is unavailable (stale registry) nothing is dropped.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>

#include "attest/quote/dev_ca.h"
#include "attest/ra_tls/attested_peer_verifier.h"
#include "attest/ra_tls/live_peer_rechecks.h"
#include "attest/ra_tls/ra_tls_node.h"
#include "net/listener.h"
#include "support/temp_dir.h"

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace chrysalis;

namespace {

const std::string kModel(64, 'c');

// A policy the test changes while connections live (what a new registry snapshot does).
struct ChangingPolicy : attest::PolicySource {
  std::shared_ptr<const attest::Policy> policy;
  std::shared_ptr<const attest::Policy> current() const override { return policy; }
};

struct RecheckNet {
  test::TempDir tmp{"recheck"};
  fs::path dir = tmp.path();
  asio::io_context io;
  attest::AttestationSettings settings;
  std::unique_ptr<attest::NodeAttestation> proxy, worker;
  std::unique_ptr<net::Listener> listener;
  std::shared_ptr<net::Connection> accepted, dialed;
  std::string accepted_closed, dialed_closed;
  std::shared_ptr<ChangingPolicy> policy = std::make_shared<ChangingPolicy>();
  std::chrono::hours clock_offset{0};
  std::unique_ptr<attest::LivePeerRechecks> rechecks;

  RecheckNet() {
    attest::write_dev_ca(attest::create_dev_ca(), dir / "ca");
    settings.provider = "sim";
    settings.dev_ca = dir / "ca";
    settings.trust = {"dev:" + (dir / "ca").string()};
    settings.cert_hours = 6;
    proxy = std::make_unique<attest::NodeAttestation>(io.get_executor(), "proxy", "p", "", settings, dir / "proxy");
    worker =
        std::make_unique<attest::NodeAttestation>(io.get_executor(), "worker", "w", kModel, settings, dir / "worker");
    allow_models({kModel});
    rechecks = std::make_unique<attest::LivePeerRechecks>(
        io.get_executor(), policy,
        [this](const std::string& role) {
          return std::make_shared<attest::AttestedPeerVerifier>(
              policy, role, nullptr, [this] { return std::chrono::system_clock::now() + clock_offset; });
        },
        std::chrono::seconds(3600));
    net::ConnectionOptions opts;
    opts.local_role = proto::ROLE_PROXY;
    opts.node_id = "p";
    opts.accepted_peer_roles = {proto::ROLE_WORKER};
    listener = std::make_unique<net::Listener>(
        io, proxy->make_context(net::TlsSide::Server, "worker"), opts, [this](std::shared_ptr<net::Connection> c) {
          accepted = c;
          c->start([](proto::Frame&) {}, [this](const std::string& why) { accepted_closed = why; });
          rechecks->watch(c, "worker");
        });
    listener->listen({"127.0.0.1", 0});
    dial();
  }
  ~RecheckNet() {
    rechecks->stop();
    proxy->stop();
    worker->stop();
  }

  void allow_models(std::set<std::string> models) {
    auto p = std::make_shared<attest::Policy>(attest::build_policy(settings));
    p->allowed_models = std::move(models);
    policy->policy = p;
  }

  void dial() {
    std::string error;
    auto tls = worker->make_context(net::TlsSide::Client, "proxy");
    Endpoint to{"127.0.0.1", listener->port()};
    net::ConnectionOptions o;
    o.local_role = proto::ROLE_WORKER;
    o.node_id = "w";
    asio::co_spawn(
        io,
        [this, &error, tls, to, o]() -> asio::awaitable<void> {
          try {
            dialed = co_await net::Connection::dial(to, tls, o);
          } catch (const std::exception& e) {
            error = e.what();
          }
        },
        asio::detached);
    run_for(3000, [&] { return (dialed && accepted) || !error.empty(); });
    ASSERT_TRUE(dialed && accepted) << error;
    dialed->start([](proto::Frame&) {}, [this](const std::string& why) { dialed_closed = why; });
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

TEST(AttestLiveRechecks, AnExpiredCertificateDropsTheLiveConnection) {
  RecheckNet net;
  EXPECT_EQ(net.rechecks->sweep("test"), 0u) << "a valid peer stays";
  EXPECT_TRUE(net.accepted->open());
  EXPECT_EQ(net.rechecks->stats()["watched"], 1);

  net.clock_offset = std::chrono::hours(7);  // past the worker certificate's 6 h
  EXPECT_EQ(net.rechecks->sweep("test"), 1u);
  EXPECT_NE(net.accepted_closed.find("attestation re-check failed: attestation check 'validity' failed"),
            std::string::npos)
      << net.accepted_closed;
  auto stats = net.rechecks->stats();
  EXPECT_EQ(stats["connections_dropped"]["validity"], 1);
  EXPECT_EQ(stats["watched"], 0);
  // The worker hears why.
  net.run_for(2000, [&] { return !net.dialed_closed.empty(); });
  EXPECT_NE(net.dialed_closed.find("'validity'"), std::string::npos) << net.dialed_closed;
  EXPECT_EQ(net.rechecks->sweep("test"), 0u) << "a dropped connection is not counted twice";
}

TEST(AttestLiveRechecks, AModelRemovedFromThePolicyDropsTheWorker) {
  RecheckNet net;
  net.allow_models({std::string(64, 'd')});
  EXPECT_EQ(net.rechecks->sweep("registry changed"), 1u);
  EXPECT_NE(net.accepted_closed.find("'model_hash'"), std::string::npos) << net.accepted_closed;
  EXPECT_EQ(net.rechecks->stats()["connections_dropped"]["model_hash"], 1);
}

TEST(AttestLiveRechecks, AnUnavailablePolicyDropsNobody) {
  RecheckNet net;
  auto stale = std::make_shared<attest::Policy>(*net.policy->policy);
  stale->unavailable = "the registry is 400 s old";
  net.policy->policy = stale;
  EXPECT_EQ(net.rechecks->sweep("periodic"), 0u);
  EXPECT_TRUE(net.accepted_closed.empty());
  EXPECT_EQ(net.rechecks->stats()["skipped_registry_unavailable"], 1);
}

}  // namespace
