// The client's inference path: validate, send to a proxy (failing over to the next one while
// nothing has reached the app), relay the answer as OpenAI SSE or assemble it into one object.
#include <spdlog/spdlog.h>

#include "api/openai_error.h"
#include "api/openai_request.h"
#include "api/response_assembler.h"
#include "client/client_billing.h"
#include "client/client_node.h"
#include "common/random.h"
#include "common/time.h"
#include "http/node_endpoints.h"
#include "sse/usage_meter.h"

namespace chrysalis::client {

namespace asio = boost::asio;

namespace {

sse::Usage from_proto(const proto::Usage& u) {
  return sse::Usage{u.prompt_tokens(), u.cached_tokens(), u.completion_tokens(), u.reasoning_tokens(), u.estimated()};
}

api::ApiError from_proto(const proto::ResponseError& e) {
  api::ApiError err;
  err.status = e.http_status() ? static_cast<int>(e.http_status()) : 502;
  err.type = e.type().empty() ? "upstream_error" : e.type();
  err.code = e.code();
  err.message = e.hop().empty() ? e.message() : e.hop() + ": " + e.message();
  return err;
}

// What the request cost, as the proxy charged it (nanoTON); absent when the proxy does not bill.
nlohmann::json cost_json(const proto::Billing& b) {
  return {{"charged_tokens", b.charged_tokens()},
          {"cost_nano", std::to_string(b.cost_nano())},
          {"available_nano", std::to_string(b.available_nano())},
          {"capped", b.capped()}};
}

// The chunk OpenAI sends last when stream_options.include_usage is set.
nlohmann::json usage_chunk(const std::string& last_event, api::ApiKind kind, const std::string& model,
                           const sse::Usage& usage) {
  auto last_chunk = nlohmann::json::parse(last_event, nullptr, false);
  if (!last_chunk.is_object()) last_chunk = nlohmann::json::object();
  nlohmann::json chunk = {{"id", last_chunk.value("id", "")},
                          {"object", kind == api::ApiKind::Chat ? "chat.completion.chunk" : "text_completion"},
                          {"created", last_chunk.value("created", unix_now_us() / 1000000)},
                          {"model", last_chunk.value("model", model)},
                          {"choices", nlohmann::json::array()},
                          {"usage", sse::to_openai_usage(usage)}};
  return chunk;
}

}  // namespace

asio::awaitable<void> ClientNode::serve_completion(const http::Request& req, http::Responder& res) {
  int64_t t0 = steady_now_us();
  api::ValidationLimits limits;
  limits.default_max_tokens = config_.default_max_tokens;
  limits.max_tokens_limit = config_.max_tokens_limit;
  auto validated = api::validate_openai_request(req.path, req.body, limits);
  if (auto* err = std::get_if<api::ApiError>(&validated)) {
    metrics_.add("requests", {{"outcome", "invalid"}});
    co_await api::send_error(res, *err);
    co_return;
  }
  auto& vr = std::get<api::ValidatedRequest>(validated);
  vr.timeout_ms = std::min<uint32_t>(vr.timeout_ms, config_.request_timeout_s * 1000);
  std::string rid = random_hex(12);

  proto::Frame request_frame;
  auto* r = request_frame.mutable_request();
  r->set_request_id(rid);
  r->set_path(req.path);
  r->set_body(vr.body.dump());
  r->set_max_tokens(vr.max_tokens);
  r->set_max_coefficient(vr.max_coefficient);
  r->set_timeout_ms(vr.timeout_ms);
  r->set_prompt_tokens_estimate(sse::estimate_prompt_tokens(vr.body));

  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(vr.timeout_ms);
  std::shared_ptr<net::Connection> conn;
  uint64_t stream = 0;
  std::shared_ptr<StreamQueue> queue;
  // Shared with the disconnect callback, which may outlive this handler on a kept-alive connection.
  struct Watch {
    bool gone = false;
    std::weak_ptr<StreamQueue> queue;
  };
  auto watch = std::make_shared<Watch>();
  bool& app_gone = watch->gone;
  res.on_peer_gone([watch] {
    watch->gone = true;
    if (auto q = watch->queue.lock()) q->close();
  });

  // Phase 1: find a proxy that accepts the request and starts answering.
  std::vector<uint64_t> tried;
  proto::ResponseHead head;
  std::string last_failure;
  while (true) {
    auto candidates = pool_->ready(tried);
    std::string billing_problem;
    if (billing_)  // only proxies that can be paid
      std::erase_if(candidates, [&](const auto& c) {
        std::string p = billing_->not_ready(*c);
        if (!p.empty()) billing_problem = c->remote() + ": " + p;
        return !p.empty();
      });
    if (candidates.empty() && !billing_problem.empty() && last_failure.empty()) {
      metrics_.add("requests", {{"outcome", "billing_not_ready"}});
      // Named, not a temporary of the co_await: GCC 12 destroys those twice.
      api::ApiError not_ready{503, "server_error", "billing_not_ready",
                              "client: no proxy can be paid yet (" + billing_problem + ")", ""};
      co_await api::send_error(res, not_ready);
      co_return;
    }
    if (candidates.empty()) {
      metrics_.add("requests", {{"outcome", "no_proxy"}});
      std::string why =
          last_failure.empty() ? "no proxy connected (" + pool_->unavailable_reason() + ")" : last_failure;
      co_await api::send_error(res, api::service_unavailable("client->proxy", why));
      co_return;
    }
    conn = candidates.front();
    tried.push_back(conn->id());
    std::tie(stream, queue) = pool_->open_stream(conn);
    watch->queue = queue;
    request_frame.set_stream(stream);
    conn->send(request_frame);
    auto event = co_await queue->pop(deadline);
    if (app_gone) {
      conn->send_cancel(stream, "app disconnected");
      pool_->close_stream(conn->id(), stream);
      metrics_.add("requests", {{"outcome", "cancelled"}});
      spdlog::info("rid={} app disconnected before the first token; cancelled", rid);
      co_return;
    }
    if (!event) {
      conn->send_cancel(stream, "timeout in client");
      pool_->close_stream(conn->id(), stream);
      metrics_.add("requests", {{"outcome", "timeout"}});
      co_await api::send_error(
          res, api::gateway_timeout("client", "no answer within " + std::to_string(vr.timeout_ms) + " ms"));
      co_return;
    }
    if (event->connection_lost) {
      pool_->close_stream(conn->id(), stream);
      last_failure = "proxy " + conn->remote() + " disconnected: " + event->reason;
      spdlog::warn("rid={} {}; trying another proxy", rid, last_failure);
      continue;
    }
    if (event->frame.has_error()) {
      pool_->close_stream(conn->id(), stream);
      auto err = from_proto(event->frame.error());
      metrics_.add("requests", {{"outcome", err.code.empty() ? "error" : err.code}});
      spdlog::warn("rid={} failed: {} {}", rid, err.status, err.message);
      co_await api::send_error(res, err);
      co_return;
    }
    if (!event->frame.has_head()) {
      pool_->close_stream(conn->id(), stream);
      conn->close("protocol violation: expected an answer head");
      continue;
    }
    head = event->frame.head();
    break;
  }

  // Phase 2: relay the answer.
  http::Headers headers = {
      {"X-Request-Id", rid}, {"X-Chrysalis-Worker", head.worker_id()}, {"X-Chrysalis-Proxy", conn->peer_node_id()}};
  api::ResponseAssembler assembler(vr.kind, vr.model);
  std::string last_event;  // parsed only when needed: streaming relays the text untouched
  int64_t first_token_us = 0;
  if (vr.stream && !co_await res.begin_stream(200, "text/event-stream", headers)) app_gone = true;
  std::string outcome = "ok";
  sse::Usage usage;
  uint64_t cost_nano = 0;
  while (!app_gone) {
    auto event = co_await queue->pop(deadline);
    if (app_gone) break;
    std::optional<api::ApiError> failure;
    if (!event) {
      failure = api::gateway_timeout("client", "answer did not finish within " + std::to_string(vr.timeout_ms) + " ms");
    } else if (event->connection_lost) {
      failure = api::bad_gateway("client->proxy", "proxy disconnected mid-answer: " + event->reason);
    } else if (event->frame.has_part()) {
      if (!first_token_us) first_token_us = steady_now_us();
      std::string sse;
      for (auto& text : event->frame.part().events()) {
        if (vr.stream) {
          sse += "data: ";
          sse += text;
          sse += "\n\n";
        }
        if (!vr.stream) {
          auto chunk = nlohmann::json::parse(text, nullptr, false);
          if (chunk.is_object()) assembler.add(chunk);
        }
      }
      if (event->frame.part().events_size() > 0) last_event = event->frame.part().events().rbegin()->data();

      if (vr.stream && !co_await res.write(sse)) app_gone = true;
      continue;
    } else if (event->frame.has_end()) {
      usage = from_proto(event->frame.end().usage());
      const bool billed = event->frame.end().has_billing();
      if (billed && billing_) billing_->record_cost(*conn, event->frame.end().billing());
      if (billed) {
        cost_nano = event->frame.end().billing().cost_nano();
        headers.emplace_back("X-Chrysalis-Cost-Nano", std::to_string(cost_nano));
      }
      if (vr.stream) {
        std::string tail;
        if (vr.include_usage) {
          auto chunk = usage_chunk(last_event, vr.kind, vr.model, usage);
          if (billed) chunk["chrysalis"] = cost_json(event->frame.end().billing());
          tail += "data: " + chunk.dump() + "\n\n";
        }
        tail += "data: [DONE]\n\n";
        co_await res.write(tail);
        co_await res.end_stream();
      } else {
        auto body = assembler.finish(usage);
        if (billed) body["chrysalis"] = cost_json(event->frame.end().billing());
        co_await res.send(200, "application/json", body.dump(), headers);
      }
      break;
    } else if (event->frame.has_error()) {
      failure = from_proto(event->frame.error());
      usage = from_proto(event->frame.error().usage());
      if (event->frame.error().has_billing() && billing_) billing_->record_cost(*conn, event->frame.error().billing());
    } else {
      failure = api::bad_gateway("client->proxy", "unexpected message in answer stream");
    }
    outcome = failure->code.empty() ? "error" : failure->code;
    spdlog::warn("rid={} failed mid-answer: {}", rid, failure->message);
    if (vr.stream) {
      co_await res.write(failure->sse_event());
      co_await res.end_stream();
    } else {
      co_await api::send_error(res, *failure);
    }
    break;
  }
  if (app_gone) {
    conn->send_cancel(stream, "app disconnected");
    outcome = "cancelled";
    spdlog::info("rid={} app disconnected mid-answer; cancelled upstream", rid);
  }
  pool_->close_stream(conn->id(), stream);
  double total_ms = (steady_now_us() - t0) / 1000.0;
  metrics_.add("requests", {{"outcome", outcome}});
  metrics_.observe("request_latency", {}, total_ms);
  if (first_token_us) metrics_.observe("time_to_first_token", {}, (first_token_us - t0) / 1000.0);
  metrics_.add("tokens", {{"kind", "prompt"}}, static_cast<double>(usage.prompt));
  metrics_.add("tokens", {{"kind", "completion"}}, static_cast<double>(usage.completion));
  spdlog::info("rid={} {} model={} worker={} prompt={} completion={} cost={} nanoTON total={:.1f}ms", rid, outcome,
               vr.model, head.worker_id(), usage.prompt, usage.completion, cost_nano, total_ms);
}

}  // namespace chrysalis::client
