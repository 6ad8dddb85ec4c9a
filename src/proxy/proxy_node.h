#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/metrics.h"
#include "net/connection.h"
#include "net/listener.h"
#include "proxy/proxy_config.h"
#include "proxy/routing_state.h"
#include "proxy/spot_check.h"

namespace chrysalis::http {
class Server;
}

namespace chrysalis::attest {
class NodeAttestation;
}

namespace chrysalis::proxy {

class ProxyBilling;

// A connected worker as the proxy sees it.
struct WorkerEntry {
  std::shared_ptr<net::Connection> conn;
  std::string id;
  std::string model;
  uint32_t coefficient = 1000;
  uint32_t max_concurrent = 1;
  bool enabled = false;
  std::string disabled_reason = "no state announced yet";
  uint32_t running = 0;
  double avg_request_ms = 0;  // exponentially weighted
  double avg_ttft_ms = 0;
  uint64_t served = 0, failed = 0, tokens = 0;
  uint64_t last_dispatch = 0;  // sequence number of the last request sent here
  std::string owner;           // billing: the wallet it is paid to, as announced
  std::string contract;        // billing: its worker contract with this proxy (raw); empty: none announced
  uint64_t payout_sent = 0;    // billing: the largest signed payout sent to it
};

// A duplicate of a request raced on a second worker while the first has produced no token
// (routing_hedge.cpp). Whichever produces the first token wins; the other is cancelled.
struct HedgeAttempt {
  std::weak_ptr<net::Connection> worker;
  uint64_t conn = 0, stream = 0;
  std::string worker_key;
  uint32_t running_before = 0;
  int64_t started_us = 0;
  std::optional<proto::ResponseHead> head;
  uint64_t reservation = 0;  // billing: what this attempt holds of the client's funds
};

// One request in flight: the client's stream and the worker's stream it is relayed to.
struct Route {
  std::weak_ptr<net::Connection> client;
  uint64_t client_conn = 0, client_stream = 0;
  std::weak_ptr<net::Connection> worker;
  uint64_t worker_conn = 0, worker_stream = 0;
  proto::InferenceRequest request;
  std::string model;
  int64_t started_us = 0, first_token_us = 0;
  int64_t deadline_us = 0;
  bool head_sent = false;
  uint32_t attempts = 0;
  std::vector<uint64_t> tried_workers;
  std::unique_ptr<boost::asio::steady_timer> timer;
  // Routing (routing_proxy_node.cpp): reputation key and load of the current worker, the head held
  // back until the first token (so a stall can still fail over), the output for spot checks.
  std::string worker_key;
  uint32_t running_before = 0;
  int64_t attempt_started_us = 0;
  uint64_t prefix_hash = 0;
  bool deterministic = false;
  std::optional<proto::ResponseHead> pending_head;
  std::unique_ptr<boost::asio::steady_timer> first_token_timer;
  OutputDigest output;
  std::optional<HedgeAttempt> hedge;
  std::unique_ptr<boost::asio::steady_timer> hedge_timer;
  // Billing (billing_proxy_node.cpp): the client's contract and the current attempt's reservation.
  std::string client_contract;
  uint64_t reservation = 0;
  uint64_t events_relayed = 0;  // what reached the client: the charge when the worker cannot tell
};

// A cancelled request whose worker has not reported its usage yet: charged when it does (or,
// after a grace period, with what the proxy relayed).
struct DrainingCharge {
  uint64_t reservation = 0;
  uint64_t events_relayed = 0;
  uint64_t prompt_estimate = 0;
  std::shared_ptr<boost::asio::steady_timer> timer;
};

// A finished request whose end waits for its settlement to be on disk (group commit: every end
// that arrives before the flush runs shares one transaction and one fsync).
struct PendingSettlement {
  std::shared_ptr<Route> route;
  uint64_t reservation = 0;
  proto::Usage usage;
  proto::Frame end;
};

// A client connection's billing: its contract and the largest signed charge sent to it.
struct ClientBilling {
  std::string contract;
  uint64_t charge_sent = 0;
};

// A spot check: the same deterministic request answered by 2 or 3 workers (spot_check_runs.cpp).
struct SpotCase {
  proto::InferenceRequest request;
  std::string model;
  std::vector<uint64_t> conns;
  std::vector<std::string> keys, outputs;
};
struct SpotRun {
  uint64_t case_id = 0;
  std::string worker_key;
  OutputDigest output;
  bool got_token = false;
  std::shared_ptr<boost::asio::steady_timer> first_token_timer{};  // a stalled duplicate must not hold a slot
};

class ProxyNode {
 public:
  ProxyNode(boost::asio::io_context& io, ProxyConfig config);
  ~ProxyNode();
  void start();
  void stop();
  nlohmann::json stats() const;
  Metrics& metrics() { return metrics_; }

 private:
  using StreamKey = std::pair<uint64_t, uint64_t>;  // (connection id, stream id)

  void on_worker_connected(std::shared_ptr<net::Connection> conn);
  void on_client_connected(std::shared_ptr<net::Connection> conn);
  void on_worker_frame(const std::shared_ptr<net::Connection>& conn, proto::Frame& frame);
  void on_client_frame(const std::shared_ptr<net::Connection>& conn, proto::Frame& frame);
  void on_worker_closed(uint64_t conn_id, const std::string& reason);
  void on_client_closed(uint64_t conn_id, const std::string& reason);

  void start_request(const std::shared_ptr<net::Connection>& client, uint64_t stream, proto::InferenceRequest request);
  // Sends the route to the best worker; false when none qualifies (the error is already sent).
  bool dispatch(const std::shared_ptr<Route>& route);
  void send_request_to(const std::shared_ptr<Route>& route, WorkerEntry& worker, uint64_t stream);
  void fail_route(const std::shared_ptr<Route>& route, uint32_t status, const std::string& type,
                  const std::string& code, const std::string& message, const std::string& hop,
                  const proto::Usage* usage = nullptr);
  // Retries on another worker when nothing reached the client yet; otherwise fails the route.
  void retry_or_fail(const std::shared_ptr<Route>& route, uint32_t status, const std::string& code,
                     const std::string& message, const std::string& hop);
  void finish_route(const std::shared_ptr<Route>& route, const std::string& outcome);
  void detach_from_worker(const std::shared_ptr<Route>& route);
  void arm_timeout(const std::shared_ptr<Route>& route);
  void answer_models(const std::shared_ptr<net::Connection>& client, uint64_t stream);
  void send_to_client(const std::shared_ptr<Route>& route, proto::Frame& frame);
  // Routing (routing_proxy_node.cpp, spot_check_runs.cpp).
  static std::string worker_key(const WorkerEntry& w);
  void arm_first_token_timeout(const std::shared_ptr<Route>& route);
  void flush_head(const std::shared_ptr<Route>& route);
  void record_worker_error(const std::shared_ptr<Route>& route, uint32_t status, const std::string& code);
  // Hedging (routing_hedge.cpp).
  void arm_hedge(const std::shared_ptr<Route>& route);
  void launch_hedge(const std::shared_ptr<Route>& route);
  // Consumes a frame of the route's hedge attempt; true when the caller must go on processing it
  // as the primary's (the hedge just won and was promoted).
  bool on_hedge_frame(const std::shared_ptr<Route>& route, proto::Frame& frame);
  // Makes the hedge the primary attempt; the current primary must already be detached.
  void adopt_hedge(const std::shared_ptr<Route>& route);
  // Ends the hedge attempt; a non-empty reason is sent to its worker as a cancel.
  void drop_hedge(const std::shared_ptr<Route>& route, const std::string& cancel_reason);
  bool is_hedge(const std::shared_ptr<Route>& route, uint64_t conn, uint64_t stream) const {
    return route->hedge && route->hedge->conn == conn && route->hedge->stream == stream;
  }
  // Candidates for a request's next attempt (workers already tried are excluded).
  WorkerChoice choose_for(const std::shared_ptr<Route>& route, std::vector<uint64_t>& ids);
  void maybe_spot_check(const std::shared_ptr<Route>& route);
  void launch_spot_run(uint64_t case_id);
  bool on_spot_frame(const std::shared_ptr<net::Connection>& conn, proto::Frame& frame);
  void drop_spot_runs(uint64_t conn_id);
  // Billing (billing_proxy_node.cpp).
  void on_billing_hello(const std::shared_ptr<net::Connection>& conn, const proto::BillingHello& hello);
  void bind_worker_owner(WorkerEntry& worker, const std::string& owner);
  // Refuses a request before dispatch when billing cannot serve it (the error is sent).
  bool billing_admits(const std::shared_ptr<Route>& route);
  // Reserves the worst case on `worker` for an attempt; 0 and the error sent when refused (when `fail`).
  uint64_t reserve_for(const std::shared_ptr<Route>& route, const WorkerEntry& worker, bool fail);
  void release_reservation(uint64_t& reservation, const proto::Usage* produced, proto::Billing* out = nullptr);
  // Sends `end` once the route's settlement is fsynced, batched with the other ends of this turn.
  void settle_then_send(const std::shared_ptr<Route>& route, const proto::Usage& usage, proto::Frame end);
  void flush_settlements();
  // The worker told the tokenized prompt's size: the reservation shrinks from the byte bound to it.
  void hold_exact_prompt(const std::shared_ptr<Route>& route, const proto::ResponseHead& head);
  // The client went away mid-answer: keep the reservation until the worker reports what it produced.
  void drain_reservation(const std::shared_ptr<Route>& route);
  bool on_draining_frame(uint64_t conn_id, proto::Frame& frame);
  void drop_draining(uint64_t conn_id);
  void send_payment_updates();
  void send_client_info(const std::string& contract);

  boost::asio::io_context& io_;
  ProxyConfig config_;
  Metrics metrics_;
  std::unique_ptr<net::Listener> worker_listener_, client_listener_;
  std::unique_ptr<attest::NodeAttestation> attestation_;
  std::unique_ptr<http::Server> http_;
  std::map<uint64_t, WorkerEntry> workers_;                       // by connection id
  std::map<uint64_t, std::shared_ptr<net::Connection>> clients_;  // by connection id
  std::map<StreamKey, std::shared_ptr<Route>> by_client_;
  std::map<StreamKey, std::shared_ptr<Route>> by_worker_;
  int64_t started_at_us_ = 0;
  uint64_t dispatch_seq_ = 0;
  std::unique_ptr<RoutingState> routing_;
  std::map<uint64_t, SpotCase> spot_cases_;
  std::map<StreamKey, SpotRun> spot_runs_;
  uint64_t spot_seq_ = 0;
  std::unique_ptr<ProxyBilling> billing_;
  std::map<uint64_t, ClientBilling> client_billing_;  // by connection id
  std::map<StreamKey, DrainingCharge> draining_;
  std::vector<PendingSettlement> pending_settlements_;
};

}  // namespace chrysalis::proxy
