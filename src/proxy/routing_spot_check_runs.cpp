#include "proxy/routing_spot_check_runs.h"

#include <spdlog/spdlog.h>

namespace chrysalis::proxy {

SpotChecks::SpotChecks(boost::asio::io_context& io, WorkerTable& workers, RoutingState& routing, Metrics& metrics,
                       uint32_t request_timeout_ms)
    : io_(io), workers_(workers), routing_(routing), metrics_(metrics), request_timeout_ms_(request_timeout_ms) {}

void SpotChecks::start_case(const proto::InferenceRequest& request, const std::string& model, uint64_t worker_conn,
                            const std::string& worker_key, const std::string& output) {
  uint64_t id = ++seq_;
  cases_[id] = Case{request, model, {worker_conn}, {worker_key}, {output}};
  launch(id);
}

void SpotChecks::launch(uint64_t case_id) {
  auto& sc = cases_[case_id];
  std::vector<uint64_t> ids;
  auto candidates = workers_.candidates(sc.conns, 0, ids);
  auto choice = routing_.choose(candidates, sc.model, sc.request.max_coefficient(),
                                routing_.shape(sc.model, sc.request.max_tokens(), sc.request.prompt_tokens_estimate()));
  if (choice.index < 0) {
    metrics_.add("spot_checks", {{"outcome", "no_worker"}});
    cases_.erase(case_id);
    return;
  }
  uint64_t worker_id = ids[choice.index];
  WorkerEntry& worker = *workers_.find(worker_id);
  uint64_t stream = worker.conn->next_stream_id();
  Run run{.case_id = case_id, .worker_key = WorkerTable::key_of(worker)};
  arm_stall_timer(run, {worker_id, stream});
  runs_[{worker_id, stream}] = std::move(run);
  sc.conns.push_back(worker_id);
  worker.running++;
  proto::Frame out;
  out.set_stream(stream);
  *out.mutable_request() = sc.request;
  out.mutable_request()->set_request_id(sc.request.request_id() + "-spot" + std::to_string(sc.conns.size()));
  out.mutable_request()->set_timeout_ms(request_timeout_ms_);
  worker.conn->send(out);
  spdlog::info("rid={} spot check on worker {}", sc.request.request_id(), worker.id);
}

// The same first-token limit as for paid requests (or the request timeout): a worker that stalls
// on a spot check is cancelled, loses reputation and gets its slot back.
void SpotChecks::arm_stall_timer(Run& run, StreamKey key) {
  uint32_t ms = routing_.config().first_token_timeout_ms;
  uint32_t limit_ms = ms ? ms : request_timeout_ms_;
  run.first_token_timer = std::make_shared<boost::asio::steady_timer>(io_);
  run.first_token_timer->expires_after(std::chrono::milliseconds(limit_ms));
  run.first_token_timer->async_wait([this, key](boost::system::error_code ec) {
    if (ec) return;
    auto it = runs_.find(key);
    if (it == runs_.end() || it->second.got_token) return;
    if (auto* w = workers_.find(key.first)) {
      w->conn->send_cancel(key.second, "spot check: no first token in time");
      if (w->running > 0) w->running--;
    }
    auto cit = cases_.find(it->second.case_id);
    routing_.record(it->second.worker_key, cit != cases_.end() ? cit->second.model : "", Outcome::Timeout);
    metrics_.add("spot_checks", {{"outcome", "stalled"}});
    cases_.erase(it->second.case_id);
    runs_.erase(it);
  });
}

bool SpotChecks::on_frame(uint64_t conn, proto::Frame& frame) {
  auto it = runs_.find({conn, frame.stream()});
  if (it == runs_.end()) return false;
  if (frame.has_head()) return true;
  if (frame.has_part()) {
    it->second.got_token = true;
    for (auto& e : frame.part().events()) it->second.output.add_event(e);
    return true;
  }
  Run run = std::move(it->second);
  if (run.first_token_timer) run.first_token_timer->cancel();
  runs_.erase(it);
  workers_.release_slot(conn);
  on_run_ended(std::move(run), conn, frame);
  return true;
}

void SpotChecks::on_run_ended(Run run, uint64_t conn, const proto::Frame& frame) {
  auto cit = cases_.find(run.case_id);
  if (cit == cases_.end()) return;
  if (!frame.has_end()) {  // the duplicate failed: nothing to compare, but the failure counts
    if (frame.has_error() && frame.error().code() != "cancelled")
      routing_.record(run.worker_key, cit->second.model,
                      run.got_token ? Outcome::ErrorAfterFirstToken : Outcome::ErrorBeforeFirstToken);
    metrics_.add("spot_checks", {{"outcome", "failed"}});
    cases_.erase(cit);
    return;
  }
  cit->second.keys.push_back(run.worker_key);
  cit->second.outputs.push_back(run.output.text());
  judge(run.case_id);
}

void SpotChecks::judge(uint64_t case_id) {
  auto& sc = cases_[case_id];
  auto verdicts = judge_spot_check(sc.outputs);
  if (verdicts.front() == SpotVerdict::Undecided) {
    if (sc.outputs.size() == 2) {
      metrics_.add("spot_checks", {{"outcome", "mismatch"}});
      launch(case_id);  // a third opinion decides
    } else {
      metrics_.add("spot_checks", {{"outcome", "undecided"}});
      cases_.erase(case_id);
    }
    return;
  }
  for (std::size_t i = 0; i < verdicts.size(); ++i) {
    bool agreed = verdicts[i] == SpotVerdict::Agree;
    routing_.record_spot_check(sc.keys[i], sc.model, agreed);
    if (!agreed)
      spdlog::warn("rid={} spot check: worker key {} disagrees with the majority", sc.request.request_id(),
                   sc.keys[i].substr(0, 16));
  }
  metrics_.add("spot_checks", {{"outcome", verdicts.size() == 2 ? "agreed" : "resolved"}});
  cases_.erase(case_id);
}

void SpotChecks::drop_worker(uint64_t conn) {
  for (auto it = runs_.begin(); it != runs_.end();) {
    if (it->first.first == conn) {
      cases_.erase(it->second.case_id);
      it = runs_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace chrysalis::proxy
