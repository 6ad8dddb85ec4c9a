// Spot checks in the proxy: a finished deterministic request is sent again to a second worker of
// the same model at the network's cost (never billed, never shown to the client); on a mismatch
// a third worker breaks the tie and the minority's reputation falls.
#include <spdlog/spdlog.h>

#include "proxy/proxy_node.h"

namespace chrysalis::proxy {

void ProxyNode::maybe_spot_check(const std::shared_ptr<Route>& route) {
  if (!route->deterministic || route->worker_key.empty() || !routing_->spot_check_due()) return;
  SpotCase sc;
  sc.request = route->request;
  sc.model = route->model;
  sc.conns = {route->worker_conn};
  sc.keys = {route->worker_key};
  sc.outputs = {route->output.text()};
  uint64_t id = ++spot_seq_;
  spot_cases_[id] = std::move(sc);
  launch_spot_run(id);
}

void ProxyNode::launch_spot_run(uint64_t case_id) {
  auto& sc = spot_cases_[case_id];
  std::vector<WorkerCandidate> candidates;
  std::vector<uint64_t> ids;
  for (auto& [id, w] : workers_) {
    WorkerCandidate c{w.model,          w.coefficient, w.max_concurrent, w.running, w.enabled,
                      w.avg_request_ms, false,         w.last_dispatch};
    c.excluded = std::find(sc.conns.begin(), sc.conns.end(), id) != sc.conns.end();
    routing_->describe(c, worker_key(w), w.conn->rtt_us() / 1000.0, 0);
    candidates.push_back(c);
    ids.push_back(id);
  }
  auto choice =
      routing_->choose(candidates, sc.model, sc.request.max_coefficient(),
                       routing_->shape(sc.model, sc.request.max_tokens(), sc.request.prompt_tokens_estimate()));
  if (choice.index < 0) {
    metrics_.add("spot_checks", {{"outcome", "no_worker"}});
    spot_cases_.erase(case_id);
    return;
  }
  uint64_t worker_id = ids[choice.index];
  WorkerEntry& worker = workers_[worker_id];
  uint64_t stream = worker.conn->next_stream_id();
  SpotRun run{case_id, worker_key(worker), {}};
  // The same first-token limit as for paid requests (or the request timeout): a worker that
  // stalls on a spot check is cancelled, loses reputation and gets its slot back.
  uint32_t limit_ms = routing_->config().first_token_timeout_ms ? routing_->config().first_token_timeout_ms
                                                                : config_.request_timeout_s * 1000;
  run.first_token_timer = std::make_shared<boost::asio::steady_timer>(io_);
  run.first_token_timer->expires_after(std::chrono::milliseconds(limit_ms));
  run.first_token_timer->async_wait([this, key = StreamKey{worker_id, stream}](boost::system::error_code ec) {
    if (ec) return;
    auto it = spot_runs_.find(key);
    if (it == spot_runs_.end() || it->second.got_token) return;
    if (auto w = workers_.find(key.first); w != workers_.end()) {
      w->second.conn->send_cancel(key.second, "spot check: no first token in time");
      if (w->second.running > 0) w->second.running--;
    }
    routing_->record(it->second.worker_key,
                     spot_cases_.count(it->second.case_id) ? spot_cases_[it->second.case_id].model : "",
                     Outcome::Timeout);
    metrics_.add("spot_checks", {{"outcome", "stalled"}});
    spot_cases_.erase(it->second.case_id);
    spot_runs_.erase(it);
  });
  spot_runs_[{worker_id, stream}] = std::move(run);
  sc.conns.push_back(worker_id);
  worker.running++;
  proto::Frame out;
  out.set_stream(stream);
  *out.mutable_request() = sc.request;
  out.mutable_request()->set_request_id(sc.request.request_id() + "-spot" + std::to_string(sc.conns.size()));
  out.mutable_request()->set_timeout_ms(config_.request_timeout_s * 1000);
  worker.conn->send(out);
  spdlog::info("rid={} spot check on worker {}", sc.request.request_id(), worker.id);
}

bool ProxyNode::on_spot_frame(const std::shared_ptr<net::Connection>& conn, proto::Frame& frame) {
  auto it = spot_runs_.find({conn->id(), frame.stream()});
  if (it == spot_runs_.end()) return false;
  if (frame.has_head()) return true;
  if (frame.has_part()) {
    it->second.got_token = true;
    for (auto& e : frame.part().events()) it->second.output.add_event(e);
    return true;
  }
  SpotRun run = std::move(it->second);
  if (run.first_token_timer) run.first_token_timer->cancel();
  spot_runs_.erase(it);
  if (auto w = workers_.find(conn->id()); w != workers_.end() && w->second.running > 0) w->second.running--;
  auto cit = spot_cases_.find(run.case_id);
  if (cit == spot_cases_.end()) return true;
  if (!frame.has_end()) {  // the duplicate failed: nothing to compare, but the failure counts
    if (frame.has_error() && frame.error().code() != "cancelled")
      routing_->record(run.worker_key, cit->second.model,
                       run.got_token ? Outcome::ErrorAfterFirstToken : Outcome::ErrorBeforeFirstToken);
    metrics_.add("spot_checks", {{"outcome", "failed"}});
    spot_cases_.erase(cit);
    return true;
  }
  auto& sc = cit->second;
  sc.keys.push_back(run.worker_key);
  sc.outputs.push_back(run.output.text());
  auto verdicts = judge_spot_check(sc.outputs);
  if (verdicts.front() == SpotVerdict::Undecided) {
    if (sc.outputs.size() == 2) {
      metrics_.add("spot_checks", {{"outcome", "mismatch"}});
      launch_spot_run(run.case_id);  // a third opinion decides
    } else {
      metrics_.add("spot_checks", {{"outcome", "undecided"}});
      spot_cases_.erase(cit);
    }
    return true;
  }
  for (std::size_t i = 0; i < verdicts.size(); ++i) {
    bool agreed = verdicts[i] == SpotVerdict::Agree;
    routing_->record_spot_check(sc.keys[i], sc.model, agreed);
    if (!agreed)
      spdlog::warn("rid={} spot check: worker key {} disagrees with the majority", sc.request.request_id(),
                   sc.keys[i].substr(0, 16));
  }
  metrics_.add("spot_checks", {{"outcome", verdicts.size() == 2 ? "agreed" : "resolved"}});
  spot_cases_.erase(cit);
  return true;
}

void ProxyNode::drop_spot_runs(uint64_t conn_id) {
  for (auto it = spot_runs_.begin(); it != spot_runs_.end();) {
    if (it->first.first == conn_id) {
      spot_cases_.erase(it->second.case_id);
      it = spot_runs_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace chrysalis::proxy
