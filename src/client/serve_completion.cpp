// The client's inference path: validate, send to a proxy (failing over to the next one while
// nothing has reached the app), relay the answer as OpenAI SSE or assemble it into one object.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "api/deterministic_request.h"
#include "api/openai_error.h"
#include "api/openai_request.h"
#include "api/request_id.h"
#include "api/response_assembler.h"
#include "client/client_billing.h"
#include "client/client_node.h"
#include "client/completion.h"
#include "client/completion_messages.h"
#include "common/json_bounded.h"
#include "common/random.h"
#include "common/time.h"
#include "http/node_endpoints.h"
#include "proto/answer_outcome.h"
#include "sse/usage_meter.h"

namespace chrysalis::client {

namespace asio = boost::asio;

asio::awaitable<void> ClientNode::serve_completion(const http::Request& req, http::Responder& res) {
  Completion c;
  if (!co_await begin_request(c, req, res)) co_return;
  auto validated = api::validate_openai_request(req.path, req.body, validation_limits());
  if (auto* err = std::get_if<api::ApiError>(&validated)) {
    metrics_.add("requests", {{"outcome", "invalid"}});
    co_await api::send_error(res, *err);
    co_return;
  }
  c.vr = std::move(std::get<api::ValidatedRequest>(validated));
  co_await run_request(c, req.path, res);
}

api::ValidationLimits ClientNode::validation_limits() const {
  api::ValidationLimits limits;
  limits.default_max_tokens = config_.default_max_tokens;
  limits.max_tokens_limit = config_.max_tokens_limit;
  return limits;
}

// The request's ids, on every answer (errors included); false when they were refused (answered).
asio::awaitable<bool> ClientNode::begin_request(Completion& c, const http::Request& req, http::Responder& res) {
  c.t0 = steady_now_us();
  auto ids = api::request_ids(req.headers);
  if (auto* err = std::get_if<api::ApiError>(&ids)) {
    metrics_.add("requests", {{"outcome", "invalid"}});
    co_await api::send_error(res, *err);
    co_return false;
  }
  auto& rid = std::get<api::RequestIds>(ids);
  c.rid = rid.network;
  res.add_header("X-Request-Id", rid.app.empty() ? rid.network : rid.app);
  res.add_header("X-Chrysalis-Request-Id", rid.network);
  co_return true;
}

// A validated request (c.vr) through the network as `path`: find a proxy that answers, relay the
// answer, and account for it.
asio::awaitable<void> ClientNode::run_request(Completion& c, const std::string& path, http::Responder& res) {
  c.vr.timeout_ms = std::min<uint32_t>(c.vr.timeout_ms, config_.request_timeout_s * 1000);
  // Embeddings are deterministic already; a generation without a seed gets a fresh one (31 bits:
  // every engine takes it) so that any request can be spot-checked.
  if (c.vr.kind != api::ApiKind::Embedding) {
    uint32_t seed = 0;
    std::string r = random_bytes(sizeof seed);
    std::memcpy(&seed, r.data(), sizeof seed);
    api::assign_seed(c.vr.body, seed & 0x7fffffffu);
  }
  c.request_frame = make_request_frame(c.rid, path, c.vr);
  begin_e2e(c, c.vr);
  if (config_.max_resumes && AnswerResume::not_resumable(c.vr).empty()) c.resume.emplace();
  c.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(c.vr.timeout_ms);
  res.on_peer_gone([watch = c.watch] {
    watch->gone = true;
    // Not close(): parts that arrive before the receipt is collected must not be dropped.
    if (auto q = watch->queue.lock()) q->interrupt();
  });

  if (!co_await find_answering_proxy(c, res)) co_return;
  co_await relay_answer(c, res);
  if (c.app_gone() && !c.answer_over) co_await collect_cancelled_receipt(c);
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
    if (candidates.empty() && c.capacity_refusal) {  // every proxy tried was full: say so, with Retry-After
      metrics_.add("requests", {{"outcome", c.capacity_refusal->code}});
      co_await early_error(c, res, *c.capacity_refusal);
      co_return false;
    }
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
      case FirstAnswer::retry_plain:
        tried.clear();  // every proxy again, now with the body in the clear
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
  // E2E: the proxy asks for the body sealed for each worker it tries before one answers.
  while (event && !event->connection_lost && event->frame.has_seal_for() && !c.app_gone()) {
    answer_seal_for(c, event->frame.seal_for());
    event = co_await c.queue->pop(c.deadline);
  }
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
    co_await early_error(c, res, timeout);
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
    auto opened = open_error(c, *event->frame.mutable_error());
    auto err = opened ? *opened : api_error_from_proto(event->frame.error());
    if (c.exchange && config_.e2e == e2e::Mode::preferred && !c.continuing &&
        (err.code == "worker_refused_by_client" || err.code == "e2e_unsupported")) {
      drop_e2e(c, "no worker could take it sealed: " + err.message);
      co_return FirstAnswer::retry_plain;
    }
    if (lacks_capacity(err)) {  // another proxy may have a free worker
      c.capacity_refusal = err;
      c.last_failure = "proxy " + c.conn->remote() + ": " + err.message;
      metrics_.add("proxy_capacity_failovers", {});
      spdlog::info("rid={} {}; trying another proxy", c.rid, c.last_failure);
      co_return FirstAnswer::try_next;
    }
    metrics_.add("requests", {{"outcome", err.code.empty() ? "error" : err.code}});
    spdlog::warn("rid={} failed: {} {}", c.rid, err.status, err.message);
    co_await early_error(c, res, err);
    co_return FirstAnswer::finished;
  }
  if (!event->frame.has_head()) {
    pool_->close_stream(c.conn->id(), c.stream);
    c.conn->close("protocol violation: expected an answer head");
    co_return FirstAnswer::try_next;
  }
  c.head = event->frame.head();
  if (auto refused = open_head(c)) {
    c.conn->send_cancel(c.stream, "e2e: " + refused->message);
    pool_->close_stream(c.conn->id(), c.stream);
    metrics_.add("requests", {{"outcome", refused->code}});
    co_await early_error(c, res, *refused);
    co_return FirstAnswer::finished;
  }
  co_return FirstAnswer::head;
}

// A proxy's refusal that says nothing about the request, only that this proxy has no worker free
// for it now: every worker busy or its queue full (429), or no worker ready (503).
bool ClientNode::lacks_capacity(const api::ApiError& err) {
  return err.status == 429 ||
         (err.status == 503 && (err.code == "no_ready_workers" || err.code == "registry_unavailable"));
}

// An error before the answer's head: the app's answer, or, while a continuation is being sent,
// kept as the reason it could not be (the app already has the first part).
asio::awaitable<void> ClientNode::early_error(Completion& c, http::Responder& res, const api::ApiError& error) {
  if (c.continuing) {
    c.continuation_error = error;
    co_return;
  }
  co_await api::send_error(res, error);
}

// Phase 2: relay the answer, as SSE or assembled into one object, until it ends, fails or the
// app leaves.
asio::awaitable<void> ClientNode::relay_answer(Completion& c, http::Responder& res) {
  c.headers = {{"X-Chrysalis-Worker", c.head.worker_id()},
               {"X-Chrysalis-Proxy", c.conn->peer_node_id()},
               {"X-Chrysalis-E2E", c.exchange ? "on" : "off"}};
  // The proxy's word on why this worker: shown to the app, so only as a plain header value.
  const std::string& route = c.head.route();
  if (!route.empty() && route.size() <= 512 &&
      std::all_of(route.begin(), route.end(), [](unsigned char ch) { return ch >= 0x20 && ch < 0x7f; }))
    c.headers.emplace_back("X-Chrysalis-Route", route);
  if (const auto* worker = c.exchange ? c.exchange->worker() : nullptr) {  // as the client itself verified it
    c.headers.emplace_back("X-Chrysalis-Worker-Key", worker->public_key_hex);
    if (!worker->image_hash.empty()) c.headers.emplace_back("X-Chrysalis-Worker-Image", worker->image_hash);
    c.headers.emplace_back("X-Chrysalis-Worker-Model-Hash", worker->model_hash);
  }
  start_digest(c);
  api::ResponseAssembler assembler(c.vr.kind, c.vr.model, c.vr.choices);
  if (c.vr.kind == api::ApiKind::Embedding)
    c.embeddings.emplace(api::EmbeddingShape{c.vr.inputs, c.vr.base64, c.vr.dimensions});
  if (c.vr.stream && !co_await res.begin_stream(200, "text/event-stream", c.headers)) c.watch->gone = true;
  if (c.vr.stream && c.responses && !c.app_gone() && !co_await res.write(c.responses->begin())) c.watch->gone = true;
  while (!c.app_gone()) {
    auto event = co_await c.queue->pop(c.deadline);
    if (c.app_gone()) {
      c.unrelayed = std::move(event);
      break;
    }
    bool part = event && !event->connection_lost && event->frame.has_part();
    bool end = event && !event->connection_lost && event->frame.has_end();
    if (!part && !end) co_await write_held_sse(c, res);  // the end's tail takes it along
    if (part) {
      std::string error;
      auto events = part_events(c, event->frame.part(), error);
      if (!events) {
        co_await write_held_sse(c, res);
        c.answer_over = true;
        co_await reject_sealed_answer(c, error, res);
        break;
      }
      co_await relay_part(c, *events, assembler, res);
      if (!c.answer_problem.empty()) {
        co_await write_held_sse(c, res);
        co_await reject_malformed_answer(c, res);
        c.answer_over = true;
        break;
      }
      continue;
    }
    if (event && !event->connection_lost && event->frame.has_seal_for()) {
      c.conn->send(sealed_for_refusal(c.stream, event->frame.seal_for(), "the answer has already started"));
      continue;
    }
    c.answer_over = true;
    if (event && !event->connection_lost && event->frame.has_end()) {
      co_await finish_answer(c, event->frame.end(), assembler, res);
      break;
    }
    api::ApiError failure = answer_failure(c, event);
    if (co_await resume_answer(c, event, failure, res)) {
      c.answer_over = false;
      continue;
    }
    co_await fail_mid_answer(c, failure, res);
    break;
  }
}

// A part's events: as relayed (plaintext), or opened (e2e); nullopt with `error` naming the record
// that failed to open.
std::optional<std::vector<std::string>> ClientNode::part_events(Completion& c, const proto::ResponsePart& part,
                                                                std::string& error) {
  if (!c.exchange) return std::vector<std::string>(part.events().begin(), part.events().end());
  return c.exchange->open_part(part, error);
}

// One part of the answer: written through when the app streams, collected otherwise.
asio::awaitable<void> ClientNode::relay_part(Completion& c, const std::vector<std::string>& raw_events,
                                             api::ResponseAssembler& assembler, http::Responder& res) {
  if (!c.first_token_us) c.first_token_us = steady_now_us();
  if (c.digest)
    for (const auto& text : raw_events) c.digest->add_event(text);  // as the worker signed them
  c.part_events += raw_events.size();
  std::vector<std::string> stitched;
  if (c.resume) {
    c.resume->delivered(raw_events);
    if (c.resume->resumes()) stitched = c.resume->stitch(raw_events);
  }
  const std::vector<std::string>& events = c.resume && c.resume->resumes() ? stitched : raw_events;
  if (c.embeddings) {
    for (auto& text : events)
      if (auto problem = c.embeddings->add(text); !problem.empty() && c.answer_problem.empty())
        c.answer_problem = problem;
  } else if (c.responses) {
    std::string sse;
    for (auto& text : events) {
      auto chunk = parse_json_bounded(text).value;
      if (chunk.is_object()) sse += c.responses->on_chunk(chunk);
    }
    if (c.vr.stream && !sse.empty() && !co_await res.write(sse)) c.watch->gone = true;
    co_return;
  } else if (!c.vr.stream) {
    for (auto& text : events) {
      auto chunk = parse_json_bounded(text).value;
      if (chunk.is_object()) assembler.add(chunk);
    }
  }
  if (!events.empty()) c.last_event = events.back();
  if (c.vr.stream) {
    c.unwritten_sse += sse_of(events);
    // Another part is already here: it goes out in the same write (never waiting for one).
    const StreamEvent* next = c.queue->ready();
    bool more = next && !next->connection_lost && next->frame.has_part() && c.unwritten_sse.size() < 64 * 1024;
    if (!more) co_await write_held_sse(c, res);
  }
}

asio::awaitable<void> ClientNode::write_held_sse(Completion& c, http::Responder& res) {
  if (c.unwritten_sse.empty()) co_return;
  std::string sse = std::exchange(c.unwritten_sse, {});
  if (!co_await res.write(sse)) c.watch->gone = true;
}

// The answer's end: records what it cost, then closes the stream (with the usage chunk when
// asked) or sends the assembled object.
asio::awaitable<void> ClientNode::finish_answer(Completion& c, const proto::ResponseEnd& end,
                                                api::ResponseAssembler& assembler, http::Responder& res) {
  c.usage = usage_from_proto(end.usage());
  if (c.exchange) {  // the worker's own account of how the answer ended, which the proxy cannot change
    std::string error;
    auto final = c.exchange->open_final(end.sealed_final(), error);
    if (!final) {
      co_await reject_sealed_answer(c, error, res);
      co_return;
    }
    c.usage = usage_from_proto(bounded_usage(c, final->usage()));
  }
  if (c.resume && c.resume->resumes()) {  // the whole answer's: the first part's prompt, every part's tokens
    c.usage.prompt = c.resumed_prompt_tokens;
    c.usage.cached = 0;
    c.usage.completion += c.resume->resumed_tokens();
  }
  const bool billed = end.has_billing();
  if (billed && billing_) billing_->record_cost(*c.conn, end.billing());
  if (billed) {
    c.cost_nano = end.billing().cost_nano() + c.resumed_cost_nano;
    c.headers.emplace_back("X-Chrysalis-Cost-Nano", std::to_string(c.cost_nano));
  }
  take_receipt(c, end.has_receipt() ? &end.receipt() : nullptr, end.usage(), billed ? &end.billing() : nullptr);
  nlohmann::json chrysalis = billed ? cost_json(end.billing()) : nlohmann::json::object();
  chrysalis["receipt"] = c.receipt;
  if (!c.failed_parts.empty()) {  // the answer was continued: what each failed part cost, and the total
    chrysalis["resumed"] = c.failed_parts;
    if (billed) chrysalis["cost_nano"] = std::to_string(c.cost_nano);
  }
  co_await deliver_answer(c, std::move(chrysalis), assembler, res);
}

// The answer's last bytes in the app's format: the closing events of a stream, or the whole object.
asio::awaitable<void> ClientNode::deliver_answer(Completion& c, nlohmann::json chrysalis,
                                                 api::ResponseAssembler& assembler, http::Responder& res) {
  if (c.responses) {
    c.responses->annotate("chrysalis", chrysalis);
    std::string tail = c.responses->finish(c.usage);
    if (c.vr.stream) {
      co_await res.write(tail);
      co_await res.end_stream();
    } else {
      co_await res.send(200, "application/json", c.responses->response().dump(), c.headers);
    }
  } else if (c.vr.stream) {
    std::string tail;
    if (c.vr.include_usage) {
      auto chunk = usage_chunk(c.last_event, c.vr.kind, c.vr.model, c.usage);
      chunk["chrysalis"] = chrysalis;
      tail += "data: " + chunk.dump() + "\n\n";
    }
    tail += "data: [DONE]\n\n";
    // What was held back, the usage and [DONE] and the stream's end: one write.
    std::string last = std::exchange(c.unwritten_sse, {}) + tail;
    co_await res.end_stream(last);
  } else if (c.embeddings && !c.embeddings->incomplete().empty()) {
    c.answer_problem = c.embeddings->incomplete();
    co_await reject_malformed_answer(c, res);
  } else {
    auto body = c.embeddings ? c.embeddings->finish(c.vr.model, c.usage) : assembler.finish(c.usage);
    body["chrysalis"] = chrysalis;
    co_await res.send(200, "application/json", body.dump(), c.headers);
  }
}

// The answer's events are not what the request asked for (an embeddings answer with a vector
// missing, misplaced or of the wrong shape): the app gets a 502 naming it, never a bad answer.
asio::awaitable<void> ClientNode::reject_malformed_answer(Completion& c, http::Responder& res) {
  metrics_.add("answers_malformed", {});
  if (!c.answer_over) c.conn->send_cancel(c.stream, "malformed answer");
  api::ApiError failure{502, "upstream_error", "malformed_answer",
                        "worker " + c.head.worker_id() + " answered through proxy " + c.conn->peer_node_id() +
                            " with a malformed answer: " + c.answer_problem};
  co_await fail_mid_answer(c, failure, res);
}

// Why the answer stopped short: timeout, lost proxy, an upstream error (whose usage and cost
// are recorded) or a message that has no place in an answer.
api::ApiError ClientNode::answer_failure(Completion& c, const std::optional<StreamEvent>& event) {
  if (!event)
    return api::gateway_timeout("client", "answer did not finish within " + std::to_string(c.vr.timeout_ms) + " ms");
  if (event->connection_lost)
    return api::bad_gateway("client->proxy", "proxy disconnected mid-answer: " + event->reason);
  if (event->frame.has_error()) {
    proto::ResponseError error = event->frame.error();
    c.usage = usage_from_proto(error.usage());
    if (error.has_billing() && billing_) billing_->record_cost(*c.conn, error.billing());
    if (error.has_billing()) c.cost_nano = error.billing().cost_nano();
    // A worker that vanished signed nothing: what reached this client bounds the charge instead.
    bool vanished = error.code() == "worker_disconnected" && !error.has_receipt();
    if (error.has_receipt() || error.billing().charged_tokens() > 0)  // the worker produced something: checked too
      take_receipt(c, error.has_receipt() ? &error.receipt() : nullptr, error.usage(),
                   error.has_billing() ? &error.billing() : nullptr, vanished);
    if (auto opened = open_error(c, error)) return *opened;
    return api_error_from_proto(error);
  }
  return api::bad_gateway("client->proxy", "unexpected message in answer stream");
}

// A failure after the head: the app gets it as a last SSE event or as an error object.
asio::awaitable<void> ClientNode::fail_mid_answer(Completion& c, const api::ApiError& failure, http::Responder& res) {
  co_await write_held_sse(c, res);
  c.outcome = failure.code.empty() ? "error" : failure.code;
  spdlog::warn("rid={} failed mid-answer: {}", c.rid, failure.message);
  if (c.vr.stream && c.responses) {
    co_await res.write(c.responses->fail(failure.code, failure.message));
    co_await res.end_stream();
  } else if (c.vr.stream) {
    std::string event_text = failure.sse_event();
    co_await res.write(event_text);
    co_await res.end_stream();
  } else {
    co_await api::send_error(res, failure);
  }
}

// The app left mid-answer: cancel upstream, then wait a moment for the worker's receipt of what
// it produced (the proxy relays the parts still in flight, which the receipt's answer hash covers,
// then a `cancelled` error carrying the receipt and the charge), and check it like any other.
asio::awaitable<void> ClientNode::collect_cancelled_receipt(Completion& c) {
  c.conn->send_cancel(c.stream, "app disconnected");
  c.queue->reopen();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (true) {
    std::optional<StreamEvent> event = std::exchange(c.unrelayed, std::nullopt);
    if (!event) event = co_await c.queue->pop(deadline);
    if (!event || event->connection_lost) co_return;  // no receipt came: the log says cancelled
    if (event->frame.has_part()) {
      std::string error;
      auto events = part_events(c, event->frame.part(), error);
      if (!events) co_return;
      if (c.digest)
        for (const auto& text : *events) c.digest->add_event(text);
    } else if (auto ended = proto::answer_outcome(event->frame)) {
      c.usage = usage_from_proto(*ended->usage);
      if (ended->billing && billing_) billing_->record_cost(*c.conn, *ended->billing);
      if (ended->billing) c.cost_nano = ended->billing->cost_nano();
      if (ended->receipt) take_receipt(c, ended->receipt, *ended->usage, ended->billing);
      co_return;
    }
  }
}

// After the answer: closes the stream, counts and logs.
void ClientNode::record_completion(Completion& c) {
  if (c.app_gone() && !c.answer_over) {
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
