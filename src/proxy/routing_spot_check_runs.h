#pragma once
// Spot checks in the proxy: a finished deterministic request is sent again to a second worker of
// the same model at the network's cost (never billed, never shown to the client); on a mismatch
// a third worker breaks the tie and the minority's reputation falls. What is compared is the spot
// hash each worker signed in its receipt, never text: an e2e proxy has none, and a signed hash
// is evidence the worker cannot deny. A rerun carries the request's own id, so a worker cannot
// tell it from a paid request.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "proxy/request_router.h"
#include "proxy/routing_spot_check.h"
#include "proxy/routing_state.h"
#include "proxy/worker_table.h"

namespace chrysalis::proxy {

class SpotChecks {
 public:
  // Cases open at once (each holds a request, e2e ones up to two sealed bodies): beyond it an
  // offer is dropped and counted (spot_checks{outcome=too_many_open}).
  static constexpr std::size_t kMaxOpenCases = 256;

  SpotChecks(boost::asio::io_context& io, WorkerTable& workers, RoutingState& routing, Metrics& metrics,
             uint32_t request_timeout_ms);
  void start_case(SpotOffer offer);
  // A frame on a spot check's stream: true when it was one.
  bool on_frame(uint64_t conn, proto::Frame& frame);
  void drop_worker(uint64_t conn);
  // For /stats: open cases and runs against their bound.
  nlohmann::json json() const;

 private:
  using StreamKey = std::pair<uint64_t, uint64_t>;
  // The same deterministic request answered by 2 or 3 workers.
  struct Case {
    proto::InferenceRequest request;
    std::string model;
    std::deque<SealedSpotRun> sealed;  // e2e: workers not yet run that the client sealed for
    std::vector<uint64_t> conns;
    std::vector<std::string> keys, spot_hashes;
    std::vector<proto::Receipt> receipts;  // each run's, verified: the evidence published with a verdict
    double answer_ttft_ms = 0;
  };
  struct Run {
    uint64_t case_id = 0;
    std::string worker_key;
    bool got_token = false;
    std::shared_ptr<boost::asio::steady_timer> first_token_timer;  // a stalled duplicate must not hold a slot
  };
  void launch(uint64_t case_id);
  // The worker for the next run, or null: chosen by routing (plaintext), or the next sealed-for
  // worker still connected with a free slot (e2e); `sealed` receives its body.
  WorkerEntry* next_worker(Case& sc, uint64_t& worker_id, proto::SealedBody& sealed);
  void arm_stall_timer(Run& run, StreamKey key, double answer_ttft_ms);
  void on_run_ended(Run run, uint64_t conn, const proto::Frame& frame);
  // The worker part of `receipt` when it is `run`'s worker's for this case's request; else logged.
  std::optional<proto::Receipt> verified_receipt(const Case& sc, const Run& run, const proto::Receipt& receipt) const;
  void judge(uint64_t case_id);

  boost::asio::io_context& io_;
  WorkerTable& workers_;
  RoutingState& routing_;
  Metrics& metrics_;
  uint32_t request_timeout_ms_;
  std::map<uint64_t, Case> cases_;
  std::map<StreamKey, Run> runs_;
  uint64_t seq_ = 0;
};

}  // namespace chrysalis::proxy
