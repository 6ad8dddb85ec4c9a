// The client's inference path: validate, send to a proxy (failing over to the next one while
// nothing has reached the app), relay the answer as OpenAI SSE or assemble it into one object.
#include <spdlog/spdlog.h>

#include "api/openai_error.h"
#include "api/openai_request.h"
#include "api/response_assembler.h"
#include "client/client_billing.h"
#include "client/client_node.h"
#include "client/completion_messages.h"
#include "common/json_bounded.h"
#include "common/random.h"
#include "common/time.h"
#include "http/node_endpoints.h"
#include "sse/usage_meter.h"

namespace chrysalis::client {

namespace asio = boost::asio;

// One request's state across the phases of serve_completion.
struct ClientNode::Completion {
  // Shared with the disconnect callback, which may outlive this handler on a kept-alive connection.
  struct Watch {
    bool gone = false;
    std::weak_ptr<StreamQueue> queue;
  };

  int64_t t0 = 0;
  api::ValidatedRequest vr;
  std::string rid;
  proto::Frame request_frame;
  std::chrono::steady_clock::time_point deadline;
  std::shared_ptr<Watch> watch = std::make_shared<Watch>();
  // The proxy stream that answers, once phase 1 found it.
  std::shared_ptr<net::Connection> conn;
  uint64_t stream = 0;
  std::shared_ptr<StreamQueue> queue;
  proto::ResponseHead head;
  std::string last_failure;  // why the previous proxy did not answer
  // Phase 2: the answer as relayed.
  http::Headers headers;
  std::string last_event;  // parsed only when needed: streaming relays the text untouched
  int64_t first_token_us = 0;
  std::string outcome = "ok";
  sse::Usage usage;
  uint64_t cost_nano = 0;

  bool app_gone() const { return watch->gone; }
};

asio::awaitable<void> ClientNode::serve_completion(const http::Request& req, http::Responder& res) {
  Completion c;
  c.t0 = steady_now_us();
  api::ValidationLimits limits;
  limits.default_max_tokens = config_.default_max_tokens;
  limits.max_tokens_limit = config_.max_tokens_limit;
  auto validated = api::validate_openai_request(req.path, req.body, limits);
  if (auto* err = std::get_if<api::ApiError>(&validated)) {
    metrics_.add("requests", {{"outcome", "invalid"}});
    co_await api::send_error(res, *err);
    co_return;
  }
  c.vr = std::move(std::get<api::ValidatedRequest>(validated));
  c.vr.timeout_ms = std::min<uint32_t>(c.vr.timeout_ms, config_.request_timeout_s * 1000);
  c.rid = random_hex(12);
  c.request_frame = make_request_frame(c.rid, req.path, c.vr);
  c.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(c.vr.timeout_ms);
  res.on_peer_gone([watch = c.watch] {
    watch->gone = true;
    if (auto q = watch->queue.lock()) q->close();
  });

  if (!co_await find_answering_proxy(c, res)) co_return;
  co_await relay_answer(c, res);
  record_completion(c);
}

// Connected proxies not yet tried and, with billing, only those that can be paid; `billing_problem`
// names the last one billing refused.
std::vector<std::shared_ptr<net::Connection>> ClientNode::payable_proxies(const std::vector<uint64_t>& tried,
                                                                          std::string& billing_problem) const {
  auto candidates = pool_->ready(tried);
  if (billing_)
    std::erase_if(candidates, [&](const auto& c) {
      std::string p = billing_->not_ready(*c);
      if (!p.empty()) billing_problem = c->remote() + ": " + p;
      return !p.empty();
    });
  return candidates;
}

// Phase 1: find a proxy that accepts the request and starts answering. False when the request
// ended here (answered with an error, or the app left).
asio::awaitable<bool> ClientNode::find_answering_proxy(Completion& c, http::Responder& res) {
  std::vector<uint64_t> tried;
  while (true) {
    std::string billing_problem;
    auto candidates = payable_proxies(tried, billing_problem);
    if (candidates.empty()) {
      NoProxyAnswer answer = no_proxy_answer(billing_problem, c.last_failure, pool_->unavailable_reason());
      metrics_.add("requests", {{"outcome", answer.outcome}});
      co_await api::send_error(res, answer.error);
      co_return false;
    }
    c.conn = candidates.front();
    tried.push_back(c.conn->id());
    switch (co_await await_first_answer(c, res)) {
      case FirstAnswer::head:
        co_return true;
      case FirstAnswer::finished:
        co_return false;
      case FirstAnswer::try_next:
        break;
    }
  }
}

// Sends the request to c.conn and waits for its first answer: a head, or why to try the next
// proxy, or the end of the request (error, timeout, app gone).
asio::awaitable<ClientNode::FirstAnswer> ClientNode::await_first_answer(Completion& c, http::Responder& res) {
  std::tie(c.stream, c.queue) = pool_->open_stream(c.conn);
  c.watch->queue = c.queue;
  c.request_frame.set_stream(c.stream);
  c.conn->send(c.request_frame);
  auto event = co_await c.queue->pop(c.deadline);
  if (c.app_gone()) {
    c.conn->send_cancel(c.stream, "app disconnected");
    pool_->close_stream(c.conn->id(), c.stream);
    metrics_.add("requests", {{"outcome", "cancelled"}});
    spdlog::info("rid={} app disconnected before the first token; cancelled", c.rid);
    co_return FirstAnswer::finished;
  }
  if (!event) {
    c.conn->send_cancel(c.stream, "timeout in client");
    pool_->close_stream(c.conn->id(), c.stream);
    metrics_.add("requests", {{"outcome", "timeout"}});
    api::ApiError timeout =
        api::gateway_timeout("client", "no answer within " + std::to_string(c.vr.timeout_ms) + " ms");
    co_await api::send_error(res, timeout);
    co_return FirstAnswer::finished;
  }
  if (event->connection_lost) {
    pool_->close_stream(c.conn->id(), c.stream);
    c.last_failure = "proxy " + c.conn->remote() + " disconnected: " + event->reason;
    spdlog::warn("rid={} {}; trying another proxy", c.rid, c.last_failure);
    co_return FirstAnswer::try_next;
  }
  if (event->frame.has_error()) {
    pool_->close_stream(c.conn->id(), c.stream);
    auto err = api_error_from_proto(event->frame.error());
    metrics_.add("requests", {{"outcome", err.code.empty() ? "error" : err.code}});
    spdlog::warn("rid={} failed: {} {}", c.rid, err.status, err.message);
    co_await api::send_error(res, err);
    co_return FirstAnswer::finished;
  }
  if (!event->frame.has_head()) {
    pool_->close_stream(c.conn->id(), c.stream);
    c.conn->close("protocol violation: expected an answer head");
    co_return FirstAnswer::try_next;
  }
  c.head = event->frame.head();
  co_return FirstAnswer::head;
}

// Phase 2: relay the answer, as SSE or assembled into one object, until it ends, fails or the
// app leaves.
asio::awaitable<void> ClientNode::relay_answer(Completion& c, http::Responder& res) {
  c.headers = {{"X-Request-Id", c.rid},
               {"X-Chrysalis-Worker", c.head.worker_id()},
               {"X-Chrysalis-Proxy", c.conn->peer_node_id()}};
  api::ResponseAssembler assembler(c.vr.kind, c.vr.model);
  if (c.vr.stream && !co_await res.begin_stream(200, "text/event-stream", c.headers)) c.watch->gone = true;
  while (!c.app_gone()) {
    auto event = co_await c.queue->pop(c.deadline);
    if (c.app_gone()) break;
    if (event && !event->connection_lost && event->frame.has_part()) {
      co_await relay_part(c, event->frame.part(), assembler, res);
      continue;
    }
    if (event && !event->connection_lost && event->frame.has_end()) {
      co_await finish_answer(c, event->frame.end(), assembler, res);
      break;
    }
    api::ApiError failure = answer_failure(c, event);
    co_await fail_mid_answer(c, failure, res);
    break;
  }
}

// One part of the answer: written through when the app streams, collected otherwise.
asio::awaitable<void> ClientNode::relay_part(Completion& c, const proto::ResponsePart& part,
                                             api::ResponseAssembler& assembler, http::Responder& res) {
  if (!c.first_token_us) c.first_token_us = steady_now_us();
  if (!c.vr.stream)
    for (auto& text : part.events()) {
      auto chunk = parse_json_bounded(text).value;
      if (chunk.is_object()) assembler.add(chunk);
    }
  if (part.events_size() > 0) c.last_event = part.events().rbegin()->data();
  if (c.vr.stream) {
    std::string sse = sse_of(part);
    if (!co_await res.write(sse)) c.watch->gone = true;
  }
}

// The answer's end: records what it cost, then closes the stream (with the usage chunk when
// asked) or sends the assembled object.
asio::awaitable<void> ClientNode::finish_answer(Completion& c, const proto::ResponseEnd& end,
                                                api::ResponseAssembler& assembler, http::Responder& res) {
  c.usage = usage_from_proto(end.usage());
  const bool billed = end.has_billing();
  if (billed && billing_) billing_->record_cost(*c.conn, end.billing());
  if (billed) {
    c.cost_nano = end.billing().cost_nano();
    c.headers.emplace_back("X-Chrysalis-Cost-Nano", std::to_string(c.cost_nano));
  }
  if (c.vr.stream) {
    std::string tail;
    if (c.vr.include_usage) {
      auto chunk = usage_chunk(c.last_event, c.vr.kind, c.vr.model, c.usage);
      if (billed) chunk["chrysalis"] = cost_json(end.billing());
      tail += "data: " + chunk.dump() + "\n\n";
    }
    tail += "data: [DONE]\n\n";
    co_await res.write(tail);
    co_await res.end_stream();
  } else {
    auto body = assembler.finish(c.usage);
    if (billed) body["chrysalis"] = cost_json(end.billing());
    co_await res.send(200, "application/json", body.dump(), c.headers);
  }
}

// Why the answer stopped short: timeout, lost proxy, an upstream error (whose usage and cost
// are recorded) or a message that has no place in an answer.
api::ApiError ClientNode::answer_failure(Completion& c, const std::optional<StreamEvent>& event) {
  if (!event)
    return api::gateway_timeout("client", "answer did not finish within " + std::to_string(c.vr.timeout_ms) + " ms");
  if (event->connection_lost)
    return api::bad_gateway("client->proxy", "proxy disconnected mid-answer: " + event->reason);
  if (event->frame.has_error()) {
    const auto& error = event->frame.error();
    c.usage = usage_from_proto(error.usage());
    if (error.has_billing() && billing_) billing_->record_cost(*c.conn, error.billing());
    return api_error_from_proto(error);
  }
  return api::bad_gateway("client->proxy", "unexpected message in answer stream");
}

// A failure after the head: the app gets it as a last SSE event or as an error object.
asio::awaitable<void> ClientNode::fail_mid_answer(Completion& c, const api::ApiError& failure, http::Responder& res) {
  c.outcome = failure.code.empty() ? "error" : failure.code;
  spdlog::warn("rid={} failed mid-answer: {}", c.rid, failure.message);
  if (c.vr.stream) {
    std::string event_text = failure.sse_event();
    co_await res.write(event_text);
    co_await res.end_stream();
  } else {
    co_await api::send_error(res, failure);
  }
}

// After the answer: cancels upstream when the app left, closes the stream, counts and logs.
void ClientNode::record_completion(Completion& c) {
  if (c.app_gone()) {
    c.conn->send_cancel(c.stream, "app disconnected");
    c.outcome = "cancelled";
    spdlog::info("rid={} app disconnected mid-answer; cancelled upstream", c.rid);
  }
  pool_->close_stream(c.conn->id(), c.stream);
  double total_ms = (steady_now_us() - c.t0) / 1000.0;
  metrics_.add("requests", {{"outcome", c.outcome}});
  metrics_.observe("request_latency", {}, total_ms);
  if (c.first_token_us) metrics_.observe("time_to_first_token", {}, (c.first_token_us - c.t0) / 1000.0);
  metrics_.add("tokens", {{"kind", "prompt"}}, static_cast<double>(c.usage.prompt));
  metrics_.add("tokens", {{"kind", "completion"}}, static_cast<double>(c.usage.completion));
  spdlog::info("rid={} {} model={} worker={} prompt={} completion={} cost={} nanoTON total={:.1f}ms", c.rid, c.outcome,
               c.vr.model, c.head.worker_id(), c.usage.prompt, c.usage.completion, c.cost_nano, total_ms);
}

}  // namespace chrysalis::client
