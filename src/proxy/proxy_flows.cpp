// The proxy node's side of request flows: a request starts a RequestFlow, and what the flow asks
// (frames, cancels, stream watches, timers, settlements) is carried out here.
#include <spdlog/spdlog.h>

#include "api/deterministic_request.h"
#include "api/inference_request_check.h"
#include "common/time.h"
#include "proxy/proxy_node.h"

namespace chrysalis::proxy {

namespace asio = boost::asio;

FlowSettings ProxyNode::flow_settings() const {
  return FlowSettings{.request_timeout_ms = config_.request_timeout_s * 1000,
                      .max_retries = config_.max_retries,
                      .first_token_timeout_ms = routing_->config().first_token_timeout_ms,
                      .first_token_factor = routing_->config().first_token_factor,
                      .hedge_after_ms = routing_->config().hedge_after_ms,
                      .hedge_factor = routing_->config().hedge_factor,
                      // 0 refuses at once, as does a queue that may hold nothing
                      .queue_max_wait_ms = config_.admission.max_per_model ? config_.admission.max_wait_ms : 0};
}

void ProxyNode::start_request(const std::shared_ptr<net::Connection>& client, uint64_t stream,
                              proto::InferenceRequest request) {
  RequestFacts facts;
  {
    nlohmann::json body;  // parsed once per request, within bounds: a client is not trusted to have checked it
    if (auto refusal = api::check_inference_request(request, request_bounds(), body)) {
      refuse_request(client, stream, *refusal);
      return;
    }
    if (body.contains("model") && body["model"].is_string()) facts.model = body["model"];
    facts.e2e = request.e2e();
    // E2E: the client hashes the prefix with its own salt and says whether the body is
    // deterministic (the worker holds it to that).
    facts.prefix_hash = facts.e2e ? request.affinity_hash() : routing_->prefix_hash(body);
    facts.deterministic = facts.e2e ? request.deterministic() : api::is_deterministic_request(body);
  }
  if (!request.resume_of().empty()) {
    auto claimed = resumes_.claim(request.resume_of(), client->peer_identity().public_key_hex, facts.model);
    if (auto* why = std::get_if<std::string>(&claimed)) {
      metrics_.add("resumes", {{"outcome", "refused"}});
      refuse_request(client, stream, {409, "resume_refused", "cannot continue the answer: " + *why});
      return;
    }
    auto& answer = std::get<ResumableAnswer>(claimed);
    facts.resumed = true;
    facts.resumes = answer.resumes;
    facts.failed_workers = std::move(answer.failed_workers);
  }
  auto entry = std::make_shared<FlowEntry>();
  entry->flow = std::make_unique<RequestFlow>(client->id(), std::move(request), std::move(facts), flow_settings(),
                                              *workers_, *billing_, metrics_);
  entry->client = client;
  entry->client_stream = stream;
  by_client_[{client->id(), stream}] = entry;
  metrics_.add("requests_received", {});
  apply(entry, entry->flow->start(steady_now_us()));
}

api::InferenceRequestBounds ProxyNode::request_bounds() const {
  return {.max_tokens_limit = config_.max_tokens_limit,
          .max_body_bytes = config_.max_request_bytes,
          .max_timeout_ms = api::kMaxRequestTimeoutMs};
}

void ProxyNode::refuse_request(const std::shared_ptr<net::Connection>& client, uint64_t stream,
                               const api::RequestRefusal& refusal) {
  spdlog::warn("refused a request from client {}: {}", client->peer_node_id(), refusal.message);
  metrics_.add("requests_refused", {{"reason", refusal.code}});
  proto::Frame f;
  f.set_stream(stream);
  auto* e = f.mutable_error();
  e->set_http_status(refusal.http_status);
  e->set_type("invalid_request_error");
  e->set_code(refusal.code);
  e->set_message("proxy " + config_.id + ": " + refusal.message);
  e->set_hop("proxy");
  client->send(f);
}

void ProxyNode::apply(const FlowPtr& entry, FlowActions actions) {
  for (auto& action : actions) apply_one(entry, action);
}

void ProxyNode::apply_one(const FlowPtr& entry, FlowAction& action) {
  std::visit(
      [&](auto& a) {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, SendToClient>) {
          a.frame.set_stream(entry->client_stream);
          countersign_and_record(a.frame);
          if (auto c = entry->client.lock()) c->send(a.frame);
        } else if constexpr (std::is_same_v<A, SendToWorker>) {
          if (auto* w = workers_->find(a.worker_conn)) w->conn->send(a.frame);
        } else if constexpr (std::is_same_v<A, CancelOnWorker>) {
          if (auto* w = workers_->find(a.worker_conn)) w->conn->send_cancel(a.stream, a.reason);
        } else if constexpr (std::is_same_v<A, CloseWorker>) {
          if (auto* w = workers_->find(a.worker_conn)) w->conn->close(a.reason);
        } else if constexpr (std::is_same_v<A, WatchStream>) {
          by_worker_[{a.worker_conn, a.stream}] = entry;
        } else if constexpr (std::is_same_v<A, ForgetStream>) {
          if (auto it = by_worker_.find({a.worker_conn, a.stream}); it != by_worker_.end() && it->second == entry)
            by_worker_.erase(it);
        } else if constexpr (std::is_same_v<A, SetTimer>) {
          set_timer(entry, a.timer, a.at_us);
        } else if constexpr (std::is_same_v<A, ClearTimer>) {
          if (auto& t = entry->timers[static_cast<std::size_t>(a.timer)]) t->cancel();
        } else if constexpr (std::is_same_v<A, SettleThenSend>) {
          billing_->settle_then_send(std::move(a),
                                     {entry->client, entry->client_stream, entry->flow->client_contract()});
        } else if constexpr (std::is_same_v<A, PaymentsChanged>) {
          billing_->send_payment_updates();
        } else if constexpr (std::is_same_v<A, ClientDone>) {
          if (auto it = by_client_.find({entry->flow->client_conn(), entry->client_stream});
              it != by_client_.end() && it->second == entry)
            by_client_.erase(it);
        } else if constexpr (std::is_same_v<A, RememberResumable>) {
          if (auto c = entry->client.lock())
            resumes_.remember(entry->flow->request().request_id(),
                              {c->peer_identity().public_key_hex, entry->flow->facts().model,
                               std::move(a.failed_workers), a.resumes});
        } else if constexpr (std::is_same_v<A, Enqueue>) {
          enqueue(entry, a);
        } else if constexpr (std::is_same_v<A, LeaveQueue>) {
          leave_queue(entry);
        } else if constexpr (std::is_same_v<A, FlowDone>) {
          for (auto& t : entry->timers)
            if (t) t->cancel();
        }
      },
      action);
}

void ProxyNode::set_timer(const FlowPtr& entry, FlowTimer timer, int64_t at_us) {
  auto& t = entry->timers[static_cast<std::size_t>(timer)];
  if (!t) t = std::make_unique<asio::steady_timer>(io_);
  t->expires_after(std::chrono::microseconds(std::max<int64_t>(0, at_us - steady_now_us())));
  t->async_wait([this, weak = std::weak_ptr(entry), timer, at_us](boost::system::error_code ec) {
    auto e = weak.lock();
    if (ec || !e) return;
    // The wake-up is for `at_us`, whichever clock reading the handler sees.
    apply(e, e->flow->on_timer(timer, std::max(steady_now_us(), at_us)));
  });
}

}  // namespace chrysalis::proxy
