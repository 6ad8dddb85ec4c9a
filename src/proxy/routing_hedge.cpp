// Hedged requests: when the worker of a request has produced no token `hedge_after_ms` after it
// was sent, the proxy races the same request on a second worker. The first to produce a token
// wins and the other is cancelled; only the winner's stream and usage reach the client, so the
// request is answered and counted once. The loser's partial work is the network's cost.
#include <spdlog/spdlog.h>

#include "common/time.h"
#include "proxy/proxy_node.h"

namespace chrysalis::proxy {

void ProxyNode::arm_hedge(const std::shared_ptr<Route>& route) {
  uint32_t ms = routing_->config().hedge_after_ms;
  if (ms == 0 || route->hedge) return;
  if (!route->hedge_timer) route->hedge_timer = std::make_unique<boost::asio::steady_timer>(io_);
  route->hedge_timer->expires_after(std::chrono::milliseconds(ms));
  std::weak_ptr<Route> weak = route;
  uint32_t attempt = route->attempts;
  route->hedge_timer->async_wait([this, weak, attempt](boost::system::error_code ec) {
    auto live = weak.lock();
    if (ec || !live || live->attempts != attempt || live->first_token_us || live->head_sent || live->hedge ||
        live->worker_conn == 0 || !by_client_.count({live->client_conn, live->client_stream}))
      return;
    launch_hedge(live);
  });
}

void ProxyNode::launch_hedge(const std::shared_ptr<Route>& route) {
  // A hedge that could not finish before the deadline only burns a worker.
  if (route->deadline_us - steady_now_us() < 1000 * int64_t(routing_->config().hedge_after_ms)) {
    metrics_.add("hedges", {{"outcome", "too_late"}});
    return;
  }
  std::vector<uint64_t> ids;
  WorkerChoice choice = choose_for(route, ids);
  if (choice.index < 0) {
    metrics_.add("hedges", {{"outcome", "no_worker"}});
    spdlog::info("rid={} no worker to hedge on: {}", route->request.request_id(), choice.message);
    return;
  }
  uint64_t worker_id = ids[choice.index];
  WorkerEntry& worker = workers_[worker_id];
  uint64_t reservation = reserve_for(route, worker, false);
  if (billing_ && reservation == 0) {
    metrics_.add("hedges", {{"outcome", "no_funds"}});  // the client's funds cover one attempt only
    return;
  }
  HedgeAttempt h;
  h.reservation = reservation;
  h.worker = worker.conn;
  h.conn = worker_id;
  h.stream = worker.conn->next_stream_id();
  h.worker_key = worker_key(worker);
  h.running_before = worker.running;
  h.started_us = steady_now_us();
  route->tried_workers.push_back(worker_id);
  worker.running++;
  worker.last_dispatch = ++dispatch_seq_;
  by_worker_[{worker_id, h.stream}] = route;
  send_request_to(route, worker, h.stream);
  route->hedge = std::move(h);
  metrics_.add("hedges", {{"outcome", "launched"}});
  spdlog::info("rid={} no first token after {} ms: hedging on worker {}", route->request.request_id(),
               routing_->config().hedge_after_ms, worker.id);
}

bool ProxyNode::on_hedge_frame(const std::shared_ptr<Route>& route, proto::Frame& frame) {
  auto& h = *route->hedge;
  if (frame.has_head()) {
    h.head = frame.head();
    return false;
  }
  if (frame.has_error()) {
    const auto& e = frame.error();
    if (auto it = workers_.find(h.conn); it != workers_.end()) it->second.failed++;
    if (e.code() != "cancelled") routing_->record(h.worker_key, route->model, Outcome::ErrorBeforeFirstToken);
    drop_hedge(route, "");
    return false;
  }
  if (!frame.has_part() && !frame.has_end()) return true;  // let the primary path refuse it
  // The hedge produced first: the primary lost the race (it had no token for longer).
  metrics_.add("hedges", {{"outcome", "won"}});
  routing_->record(route->worker_key, route->model, Outcome::Timeout);
  if (auto w = route->worker.lock()) w->send_cancel(route->worker_stream, "a hedged duplicate answered first");
  spdlog::info("rid={} the hedged duplicate answered first; cancelling the first worker", route->request.request_id());
  detach_from_worker(route);
  adopt_hedge(route);
  return true;
}

void ProxyNode::adopt_hedge(const std::shared_ptr<Route>& route) {
  HedgeAttempt h = std::move(*route->hedge);
  route->hedge.reset();
  release_reservation(route->reservation, nullptr);  // the first attempt's output never reached the client
  route->reservation = h.reservation;
  route->worker = h.worker;
  route->worker_conn = h.conn;
  route->worker_stream = h.stream;
  route->worker_key = h.worker_key;
  route->running_before = h.running_before;
  route->attempt_started_us = h.started_us;
  route->pending_head = std::move(h.head);
  route->attempts++;
  arm_first_token_timeout(route);
}

void ProxyNode::drop_hedge(const std::shared_ptr<Route>& route, const std::string& cancel_reason) {
  if (!route->hedge) return;
  auto& h = *route->hedge;
  if (!cancel_reason.empty())
    if (auto w = h.worker.lock()) w->send_cancel(h.stream, cancel_reason);
  release_reservation(h.reservation, nullptr);  // a duplicate is never billed
  by_worker_.erase({h.conn, h.stream});
  if (auto it = workers_.find(h.conn); it != workers_.end() && it->second.running > 0) it->second.running--;
  route->hedge.reset();
}

}  // namespace chrysalis::proxy
