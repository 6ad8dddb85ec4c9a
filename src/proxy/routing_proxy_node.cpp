// The proxy's routing hooks: reputation keys, the first-token timeout that fails a stalled
// attempt over to another worker, the held-back answer head, and reputation for errors.
#include <spdlog/spdlog.h>

#include "common/time.h"
#include "proxy/proxy_node.h"

namespace chrysalis::proxy {

std::string ProxyNode::worker_key(const WorkerEntry& w) {
  // The public key survives reconnects and restarts; the id is only a fallback.
  const auto& key = w.conn ? w.conn->peer_identity().public_key_hex : std::string();
  return key.empty() ? "id:" + w.id : key;
}

void ProxyNode::arm_first_token_timeout(const std::shared_ptr<Route>& route) {
  uint32_t ms = routing_->config().first_token_timeout_ms;
  if (ms == 0) return;
  route->first_token_timer = std::make_unique<boost::asio::steady_timer>(io_);
  route->first_token_timer->expires_after(std::chrono::milliseconds(ms));
  std::weak_ptr<Route> weak = route;
  uint32_t attempt = route->attempts;
  route->first_token_timer->async_wait([this, weak, attempt, ms](boost::system::error_code ec) {
    auto live = weak.lock();
    if (ec || !live || live->attempts != attempt || live->first_token_us || live->head_sent ||
        !by_client_.count({live->client_conn, live->client_stream}))
      return;
    if (auto w = live->worker.lock()) w->send_cancel(live->worker_stream, "no first token in time");
    routing_->record(live->worker_key, live->model, Outcome::Timeout);
    metrics_.add("first_token_timeouts", {});
    spdlog::warn("rid={} no first token from worker within {} ms", live->request.request_id(), ms);
    if (live->hedge) {
      detach_from_worker(live);
      adopt_hedge(live);
      return;
    }
    retry_or_fail(live, 504, "first_token_timeout", "no first token within " + std::to_string(ms) + " ms", "worker");
  });
}

void ProxyNode::flush_head(const std::shared_ptr<Route>& route) {
  if (!route->pending_head) return;
  proto::Frame out;
  *out.mutable_head() = *route->pending_head;
  route->pending_head.reset();
  route->head_sent = true;
  send_to_client(route, out);
}

void ProxyNode::record_worker_error(const std::shared_ptr<Route>& route, uint32_t status, const std::string& code) {
  // The client's own mistakes (4xx) and its cancels say nothing about the worker.
  if (code == "cancelled" || (status >= 400 && status < 500 && status != 408)) return;
  routing_->record(route->worker_key, route->model,
                   route->head_sent ? Outcome::ErrorAfterFirstToken : Outcome::ErrorBeforeFirstToken);
}

}  // namespace chrysalis::proxy
