#pragma once
// Simulated workers for the scale benchmark: each one a real RA-TLS connection to the proxy's
// worker listener with an identity of its own (its own Ed25519 key, certificate and simulated
// quote, measured like a real worker with the same configuration), announcing WorkerState and
// answering every InferenceRequest at once from memory: a head, K parts and an end with usage and
// a signed receipt, as worker_node.cpp does. With `market_query_s` set it also asks the proxy for
// its market (ModelsQuery) on connect and then that often, as a real worker does (every 10 s).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>
#include <vector>

#include "load_counters.h"
#include "net/connection.h"
#include "ton/wallet/ed25519_key.h"
#include "worker/worker_config.h"

namespace chrysalis::attest {
class EvidenceProvider;
}
namespace chrysalis::crypto {
class PeerVerifier;
}

namespace chrysalis::bench {

struct SimWorkerSettings {
  Endpoint proxy;  // the proxy's worker listener
  std::size_t count = 10000;
  double dial_rate = 300;        // new connections per second
  std::size_t max_pending = 64;  // handshakes in flight at once
  uint32_t max_concurrent = 4;   // announced slots per worker
  uint32_t parts = 16;           // ResponseParts per answer
  std::size_t part_bytes = 64;   // content bytes per part
  double market_query_s = 0;     // 0: never ask (a real worker asks every 10 s)
  std::string chrysalis_binary;  // the image the simulated quotes claim
};

class SimWorkers {
 public:
  // `config`: a worker configuration, as `chrysalis worker` would read it (model, engine, attestation).
  SimWorkers(boost::asio::io_context& io, const worker::WorkerConfig& config, SimWorkerSettings settings,
             LoadCounters& counters);
  ~SimWorkers();
  // Dials every worker, `dial_rate` per second; returns once each has connected or failed 3 times.
  boost::asio::awaitable<void> connect_all();
  std::size_t connected() const { return connected_; }
  std::size_t failed() const { return failed_; }
  double identity_ms() const { return identity_ms_; }                   // time spent issuing certificates
  std::size_t certificate_bytes() const { return certificate_bytes_; }  // one worker's certificate (PEM)
  const std::string& last_error() const { return last_error_; }
  void close_all();

 private:
  struct Worker;
  boost::asio::awaitable<void> dial_one(std::size_t index);
  boost::asio::awaitable<void> market_loop();
  void on_frame(Worker& w, proto::Frame& frame);
  void answer(Worker& w, uint64_t stream, const proto::InferenceRequest& request);
  void ask_market(Worker& w);

  boost::asio::io_context& io_;
  worker::WorkerConfig config_;
  SimWorkerSettings settings_;
  LoadCounters& counters_;
  std::string model_hash_;
  std::shared_ptr<attest::EvidenceProvider> evidence_;
  std::shared_ptr<crypto::PeerVerifier> proxy_verifier_;  // shared: the proxy is checked like a worker checks it
  std::string measured_config_;
  std::vector<std::string> events_;  // one answer's parts, from memory
  std::vector<std::unique_ptr<Worker>> workers_;
  std::size_t connected_ = 0, failed_ = 0, pending_ = 0;
  double identity_ms_ = 0;
  std::size_t certificate_bytes_ = 0;
  std::string last_error_;
  bool stopped_ = false;
  boost::asio::steady_timer market_timer_;
};

}  // namespace chrysalis::bench
