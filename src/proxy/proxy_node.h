#pragma once
// The proxy node: accepts workers and clients, and wires each request's state machine
// (request_flow.h) to connections and timers. Routing lives in WorkerTable and RoutingState,
// billing behind PeerBilling (free or ledger), spot checks in SpotChecks.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <deque>

#include <array>
#include <map>
#include <set>
#include <memory>
#include <string>

#include "api/inference_request_check.h"
#include "attest/policy/model_names.h"
#include "common/metrics.h"
#include "net/connection.h"
#include "net/listener.h"
#include "proxy/admission_queue.h"
#include "proxy/billing_peers.h"
#include "proxy/proxy_config.h"
#include "proxy/receipt_countersigner.h"
#include "proxy/request_flow.h"
#include "proxy/resume_book.h"
#include "proxy/routing_spot_check_runs.h"
#include "proxy/routing_state.h"
#include "proxy/worker_table.h"

namespace chrysalis::http {
class Server;
}

namespace chrysalis::attest {
class NodeAttestation;
}

namespace chrysalis::api {
class NodeHttp;
}

namespace chrysalis::proxy {

class ProxyNode {
 public:
  ProxyNode(boost::asio::io_context& io, ProxyConfig config);
  ~ProxyNode();
  void start();
  void stop();
  nlohmann::json stats() const;
  // /stats lists the first kStatsWorkersListed workers; GET /stats/workers?offset=&limit= pages
  // through all of them (10,000 workers are ~10 MiB of JSON: too much for every /stats).
  static constexpr std::size_t kStatsWorkersListed = 100;
  static constexpr std::size_t kWorkersPageLimit = 1000;
  // A page of workers, or the query's problem as a string.
  nlohmann::json workers_page(const std::map<std::string, std::string>& query) const;
  Metrics& metrics() { return metrics_; }

 private:
  using StreamKey = std::pair<uint64_t, uint64_t>;  // (connection id, stream id)
  // A request in flight: its state machine, where its client waits, and its timers.
  struct FlowEntry {
    std::unique_ptr<RequestFlow> flow;
    std::weak_ptr<net::Connection> client;
    uint64_t client_stream = 0;
    std::array<std::unique_ptr<boost::asio::steady_timer>, kFlowTimerKinds> timers;
    uint64_t ticket = 0;  // its place in the admission queue (0: not waiting)
  };
  using FlowPtr = std::shared_ptr<FlowEntry>;

  // Connections and their frames (proxy_node.cpp).
  void on_worker_connected(std::shared_ptr<net::Connection> conn);
  void on_client_connected(std::shared_ptr<net::Connection> conn);
  void on_worker_frame(const std::shared_ptr<net::Connection>& conn, proto::Frame& frame);
  void on_worker_state(WorkerEntry& worker, const proto::WorkerState& state);
  void prove_owner(WorkerEntry& worker, const proto::WorkerState& state);
  // Every kPublishEvery: a changed reputation table is signed, kept for GET /reputation and, with
  // books, its root goes into the next commit (reputation_table.h).
  void publish_reputation();
  void publish_reputation_later();
  const nlohmann::json& reputation_table();
  void on_client_frame(const std::shared_ptr<net::Connection>& conn, proto::Frame& frame);
  void on_worker_closed(uint64_t conn_id, const std::string& reason);
  void on_client_closed(uint64_t conn_id, const std::string& reason);
  // Requests (proxy_flows.cpp): start one, and carry out what its flow asks.
  void start_request(const std::shared_ptr<net::Connection>& client, uint64_t stream, proto::InferenceRequest request);
  void apply(const FlowPtr& entry, FlowActions actions);
  void apply_one(const FlowPtr& entry, FlowAction& action);
  void set_timer(const FlowPtr& entry, FlowTimer timer, int64_t at_us);
  // Admission (proxy_admission.cpp): a flow waiting for a slot, and the pass that admits waiting
  // flows when a slot of their model may be free (posted, once per model at a time).
  void enqueue(const FlowPtr& entry, const Enqueue& e);
  void leave_queue(const FlowPtr& entry);
  void schedule_admission(const std::string& model);
  void admit_waiting(const std::string& model);
  void countersign_and_record(proto::Frame& frame);  // an end or error going to the client
  FlowSettings flow_settings() const;
  std::size_t streams_of(uint64_t client_conn) const;
  api::InferenceRequestBounds request_bounds() const;
  void refuse_request(const std::shared_ptr<net::Connection>& client, uint64_t stream,
                      const api::RequestRefusal& refusal);

  boost::asio::io_context& io_;
  ProxyConfig config_;
  Metrics metrics_;
  std::unique_ptr<net::Listener> worker_listener_, client_listener_;
  std::unique_ptr<attest::NodeAttestation> attestation_;
  std::unique_ptr<api::NodeHttp> http_;
  std::unique_ptr<RoutingState> routing_;
  std::unique_ptr<WorkerTable> workers_;
  std::unique_ptr<attest::ModelNames> model_names_;
  std::unique_ptr<SpotChecks> spot_checks_;
  ResumeBook resumes_{config_.resume};
  AdmissionQueue admission_{config_.admission};
  std::map<uint64_t, FlowPtr> queued_;         // by ticket
  uint64_t next_ticket_ = 0;
  std::set<std::string> admissions_due_;       // models with an admission pass posted
  std::unique_ptr<PeerBilling> billing_;
  ReceiptCountersigner countersigner_{ton::Ed25519Key::generate()};  // replaced by the TLS key at start
  ton::Ed25519Key signing_key_ = ton::Ed25519Key::generate();          // the same: signs the reputation table
  static constexpr std::chrono::seconds kPublishEvery{5};
  std::unique_ptr<boost::asio::steady_timer> publish_timer_;
  nlohmann::json published_;    // the last signed table (null: none yet)
  uint64_t published_version_ = 0;  // the table's version() it was signed at
  std::map<ReputationTable::Id, ReputationTable::History> published_histories_;  // as of published_
  // Tables whose root went into the books (newest last, at most kRecordedRoots), and the newest of
  // them already committed on chain, with its inclusion proof: what a client checks against the
  // proxy contract (null: none yet).
  struct RecordedRoot {
    std::string id, root_hex;
    uint64_t count = 0, generated_ms = 0;
  };
  static constexpr std::size_t kRecordedRoots = 32;
  std::deque<RecordedRoot> recorded_roots_;
  nlohmann::json committed_root_;
  // committed_root_ with its proof, made at most once a second however often clients ask.
  nlohmann::json committed_proven_;
  int64_t committed_proven_us_ = 0;
  void refresh_committed_root();
  // The table as served (GET /reputation, ReputationReply): the last signed table (only `model`'s entries unless empty), with the newest committed one's
  // proof; `with_history`: each listed entry's recent events to replay (at most kHistoriesServed).
  nlohmann::json served_reputation(const std::string& model, bool with_history);
  static constexpr std::size_t kHistoriesServed = 64;
  std::map<uint64_t, std::shared_ptr<net::Connection>> clients_;     // by connection id
  std::map<StreamKey, FlowPtr> by_client_;
  // Each listener's per-connection limits and how often they disconnected someone (/stats).
  std::pair<net::ConnectionLimits, std::shared_ptr<net::ConnectionGuards>> worker_guards_, client_guards_;
  std::map<StreamKey, FlowPtr> by_worker_;
  int64_t started_at_us_ = 0;
};

}  // namespace chrysalis::proxy
