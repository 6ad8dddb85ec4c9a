#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/inference_request_check.h"
#include "common/metrics.h"
#include "http/connection_pool.h"
#include "net/dialer_set.h"
#include "ton/wallet/ed25519_key.h"
#include "worker/capacity_split.h"
#include "worker/worker_config.h"

namespace chrysalis::http {
class AdminToken;
class Server;
}  // namespace chrysalis::http

namespace chrysalis::attest {
class NodeAttestation;
class ProxyTargetsFeed;
}  // namespace chrysalis::attest

namespace chrysalis::e2e {
class AnswerSealer;
}

namespace chrysalis::api {
class NodeHttp;
}

namespace chrysalis::worker {

class EngineProcess;
class WorkerBilling;
class InferenceJob;

class WorkerNode {
 public:
  WorkerNode(boost::asio::io_context& io, WorkerConfig config);
  ~WorkerNode();
  void start();
  void stop();
  nlohmann::json stats() const;

  // Runtime controls (admin HTTP): each change is announced to every proxy at once.
  void set_coefficient(uint32_t coefficient);
  void set_admin_enabled(bool enabled);

 private:
  void on_proxy_up(const std::shared_ptr<net::Connection>& conn);
  void on_proxy_frame(const std::shared_ptr<net::Connection>& conn, proto::Frame& frame);
  void on_proxy_down(const std::shared_ptr<net::Connection>& conn, const std::string& reason);
  void start_job(const std::shared_ptr<net::Connection>& conn, uint64_t stream, proto::InferenceRequest request);
  // E2E: opens the sealed body in place; `sealer` then seals the answer (e2e/worker_side.h).
  std::optional<api::RequestRefusal> open_e2e(proto::InferenceRequest& request,
                                              std::shared_ptr<e2e::AnswerSealer>& sealer, std::string& spot_salt);
  void announce();
  void announce_to(net::Connection& conn);
  void schedule_health_check();
  boost::asio::awaitable<void> check_engine_health();
  bool enabled() const { return disabled_reason().empty(); }
  std::string disabled_reason() const;
  bool announced_enabled_ = false;  // what the proxies were last told

  boost::asio::io_context& io_;
  WorkerConfig config_;
  Metrics metrics_;
  // Before jobs_: a job's engine request gives its connection back here, so the pool outlives them.
  http::ConnectionPool engine_pool_{
      {config_.engine_max_idle_connections, std::chrono::milliseconds(config_.engine_idle_ms)}};
  std::unique_ptr<net::DialerSet> dialers_;
  std::unique_ptr<attest::ProxyTargetsFeed> proxy_feed_;
  CapacitySplit capacity_{config_.max_concurrent};
  uint32_t running_for(uint64_t conn) const;
  void rebalance_capacity(uint64_t except);
  std::unique_ptr<EngineProcess> engine_process_;
  std::unique_ptr<attest::NodeAttestation> attestation_;
  std::string model_hash_;                                     // hex, as attested
  ton::Ed25519Key signing_key_ = ton::Ed25519Key::generate();  // replaced by the TLS key: signs receipts
  std::unique_ptr<WorkerBilling> billing_;
  std::unique_ptr<api::NodeHttp> http_;
  std::unique_ptr<http::AdminToken> admin_token_;
  boost::asio::steady_timer health_timer_;
  std::map<std::pair<uint64_t, uint64_t>, std::shared_ptr<InferenceJob>> jobs_;  // (connection, stream)
  // What each connected proxy says of this worker's model: its workers, prices and which prices
  // win its traffic (asked every kMarketQueryUs; one entry per proxy connection).
  static constexpr int64_t kMarketQueryUs = 10'000'000;
  std::map<uint64_t, proto::ModelInfo> market_;
  int64_t market_asked_us_ = 0;
  void ask_market(net::Connection& conn);
  nlohmann::json market_json(uint64_t conn) const;
  static constexpr std::size_t kMaxMarketBands = 101;  // the proxy's band table's bound
  uint32_t coefficient_;
  bool admin_enabled_ = true;
  bool engine_healthy_ = false;
  std::string engine_problem_ = "engine not checked yet";
  int64_t started_at_us_ = 0;
  bool stopping_ = false;
};

}  // namespace chrysalis::worker
