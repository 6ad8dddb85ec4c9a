#pragma once
// Spot checks in the proxy: a finished deterministic request is sent again to a second worker of
// the same model at the network's cost (never billed, never shown to the client); on a mismatch
// a third worker breaks the tie and the minority's reputation falls.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "proxy/routing_spot_check.h"
#include "proxy/routing_state.h"
#include "proxy/worker_table.h"

namespace chrysalis::proxy {

class SpotChecks {
 public:
  SpotChecks(boost::asio::io_context& io, WorkerTable& workers, RoutingState& routing, Metrics& metrics,
             uint32_t request_timeout_ms);
  void start_case(const proto::InferenceRequest& request, const std::string& model, uint64_t worker_conn,
                  const std::string& worker_key, const std::string& output);
  // A frame on a spot check's stream: true when it was one.
  bool on_frame(uint64_t conn, proto::Frame& frame);
  void drop_worker(uint64_t conn);

 private:
  using StreamKey = std::pair<uint64_t, uint64_t>;
  // The same deterministic request answered by 2 or 3 workers.
  struct Case {
    proto::InferenceRequest request;
    std::string model;
    std::vector<uint64_t> conns;
    std::vector<std::string> keys, outputs;
  };
  struct Run {
    uint64_t case_id = 0;
    std::string worker_key;
    OutputDigest output;
    bool got_token = false;
    std::shared_ptr<boost::asio::steady_timer> first_token_timer;  // a stalled duplicate must not hold a slot
  };
  void launch(uint64_t case_id);
  void arm_stall_timer(Run& run, StreamKey key);
  void on_run_ended(Run run, uint64_t conn, const proto::Frame& frame);
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
