#include "ra-tls/handshake_bench.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include "attest/quote/quote_crypto.h"
#include "attest/ra_tls/attested_peer_verifier.h"
#include "attest/ra_tls/evidence_sim.h"
#include "attest/ra_tls/ra_tls_identity.h"
#include "common/time.h"
#include "net/tls_context.h"

namespace chrysalis::attest {

namespace asio = boost::asio;
using Ctx = std::shared_ptr<asio::ssl::context>;

namespace {

// One mutual handshake over a fresh TCP connection; returns its duration in microseconds.
int64_t one_handshake(asio::io_context& io, asio::ip::tcp::acceptor& acceptor, const Ctx& server, const Ctx& client) {
  std::string error;
  int done = 0;
  int64_t t0 = steady_now_us();
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto socket = co_await acceptor.async_accept(asio::use_awaitable);
        asio::ssl::stream<asio::ip::tcp::socket> s(std::move(socket), *server);
        co_await s.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
      },
      [&](std::exception_ptr e) {
        if (e) try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            error = std::string("server: ") + ex.what();
          }
        ++done;
      });
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::ssl::stream<asio::ip::tcp::socket> s(io, *client);
        co_await s.next_layer().async_connect(acceptor.local_endpoint(), asio::use_awaitable);
        co_await s.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
      },
      [&](std::exception_ptr e) {
        if (e) try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            error = std::string("client: ") + ex.what();
          }
        ++done;
      });
  io.restart();
  while (done < 2) io.run_one();
  int64_t took = steady_now_us() - t0;
  if (!error.empty()) throw std::runtime_error("handshake failed: " + error);
  return took;
}

nlohmann::json measure(const std::string& name, int iterations, const Ctx& server, const Ctx& client) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  for (int i = 0; i < 3; ++i) one_handshake(io, acceptor, server, client);  // warm-up
  std::vector<double> ms;
  for (int i = 0; i < iterations; ++i) ms.push_back(one_handshake(io, acceptor, server, client) / 1000.0);
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double v : ms) sum += v;
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))]; };
  return {{"variant", name},   {"iterations", iterations}, {"mean_ms", sum / ms.size()},
          {"p50_ms", at(0.5)}, {"p95_ms", at(0.95)},       {"min_ms", ms.front()}};
}

}  // namespace

nlohmann::json run_handshake_bench(const std::filesystem::path& dev_ca_dir, int iterations) {
  if (iterations < 1) throw std::runtime_error("--iterations must be at least 1");
  // Plain: self-signed Ed25519 both ways, no attestation.
  auto plain_identity = crypto::create_identity("proxy", 3600);
  auto plain_server =
      net::make_tls_context(plain_identity, std::make_shared<crypto::SelfSignedVerifier>(), net::TlsSide::Server);
  auto plain_client = net::make_tls_context(crypto::create_identity("worker", 3600),
                                            std::make_shared<crypto::SelfSignedVerifier>(), net::TlsSide::Client);
  // RA-TLS: a simulated proxy and worker verifying each other (the worker<->proxy hop).
  Policy policy;
  apply_trust_entries(policy, {"dev:" + dev_ca_dir.string()});
  auto source = std::make_shared<StaticPolicySource>(policy);
  auto proxy_config = measure_config("proxy", policy);
  auto worker_config = measure_config("worker", policy);
  auto proxy_id = RaTlsIdentity(std::make_shared<SimEvidence>(dev_ca_dir, proxy_config),
                                {"proxy", "bench-proxy", "", 1, "", proxy_config.canonical()})
                      .issue();
  auto worker_id =
      RaTlsIdentity(std::make_shared<SimEvidence>(dev_ca_dir, worker_config),
                    {"worker", "bench-worker", model_hash_of_name("bench"), 1, "", worker_config.canonical()})
          .issue();
  auto ra_pair = [&](std::size_t cache_capacity) {
    auto cache = std::make_shared<PeerQuoteCache>(cache_capacity);
    return std::pair{net::make_tls_context(proxy_id, std::make_shared<AttestedPeerVerifier>(source, "worker", cache),
                                           net::TlsSide::Server),
                     net::make_tls_context(worker_id, std::make_shared<AttestedPeerVerifier>(source, "proxy", cache),
                                           net::TlsSide::Client)};
  };
  auto [cached_server, cached_client] = ra_pair(100);
  auto [cold_server, cold_client] = ra_pair(0);
  nlohmann::json results = nlohmann::json::array();
  results.push_back(measure("plain TLS 1.3 (self-signed Ed25519, mutual)", iterations, plain_server, plain_client));
  results.push_back(measure("RA-TLS, quote verification cached", iterations, cached_server, cached_client));
  results.push_back(measure("RA-TLS, quotes verified every time (cold)", iterations, cold_server, cold_client));
  nlohmann::json sizes = {{"plain_cert_pem_bytes", plain_identity.cert_pem.size()},
                          {"ra_tls_cert_pem_bytes", proxy_id.cert_pem.size()}};
  return {{"results", results}, {"certificates", sizes}};
}

}  // namespace chrysalis::attest
