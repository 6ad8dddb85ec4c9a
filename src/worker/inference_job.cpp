#include "worker/inference_job.h"

#include <boost/asio/this_coro.hpp>

#include <spdlog/spdlog.h>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/time.h"
#include "http/http_client.h"
#include "sse/sse_parser.h"
#include "worker/stream_shaper.h"

namespace chrysalis::worker {

namespace asio = boost::asio;

std::string prepare_engine_body(const std::string& body, uint32_t max_tokens, const std::string& engine_model_name) {
  nlohmann::json j = nlohmann::json::parse(body);
  uint64_t asked = max_tokens;
  if (j.contains("max_tokens") && j["max_tokens"].is_number_unsigned()) asked = j["max_tokens"].get<uint64_t>();
  j["max_tokens"] = std::min<uint64_t>(asked, max_tokens);
  j.erase("max_completion_tokens");
  j["stream"] = true;
  j["stream_options"] = {{"include_usage", true}};
  if (!engine_model_name.empty()) j["model"] = engine_model_name;
  return j.dump();
}

namespace {
proto::Usage to_proto(const sse::Usage& u) {
  proto::Usage p;
  p.set_prompt_tokens(u.prompt);
  p.set_cached_tokens(u.cached);
  p.set_completion_tokens(u.completion);
  p.set_reasoning_tokens(u.reasoning);
  p.set_estimated(u.estimated);
  return p;
}

std::string engine_error_text(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error")) {
    auto& e = j["error"];
    if (e.is_object() && e.contains("message") && e["message"].is_string()) return e["message"].get<std::string>();
    if (e.is_string()) return e.get<std::string>();
  }
  return body.substr(0, 500);
}
}  // namespace

InferenceJob::InferenceJob(proto::InferenceRequest request, JobSettings settings, Send send)
    : request_(std::move(request)), settings_(std::move(settings)), send_(std::move(send)) {}

InferenceJob::~InferenceJob() = default;

void InferenceJob::cancel(const std::string& reason) {
  if (cancelled_) return;
  cancelled_ = true;
  cancel_reason_ = reason;
  if (http_) http_->cancel();
}

void InferenceJob::send_error(uint32_t status, const std::string& code, const std::string& message,
                              const sse::Usage& usage) {
  proto::Frame f;
  auto* e = f.mutable_error();
  e->set_http_status(status);
  e->set_type(status < 500 ? "invalid_request_error" : "upstream_error");
  e->set_code(code);
  e->set_message(message);
  e->set_hop(code.rfind("engine", 0) == 0 ? "engine" : "worker");
  *e->mutable_usage() = to_proto(usage);
  send_(f);
}

asio::awaitable<JobOutcome> InferenceJob::run() {
  const std::string& rid = request_.request_id();
  int64_t t0 = steady_now_us();
  int64_t first_token_us = 0;
  JobOutcome outcome;
  uint32_t max_tokens = request_.max_tokens() ? request_.max_tokens() : 1000;

  std::string body;
  try {
    body = prepare_engine_body(request_.body(), max_tokens, settings_.engine_model_name);
  } catch (const std::exception& e) {
    send_error(400, "invalid_body", std::string("request body is not valid JSON: ") + e.what(), {});
    outcome.name = "invalid_body";
    co_return outcome;
  }
  uint64_t prompt_estimate = request_.prompt_tokens_estimate()
                                 ? request_.prompt_tokens_estimate()
                                 : sse::estimate_prompt_tokens(nlohmann::json::parse(body));
  uint32_t timeout_ms =
      request_.timeout_ms() ? std::min(request_.timeout_ms(), settings_.max_timeout_ms) : settings_.max_timeout_ms;

  sse::SseParser parser;
  StreamShaper shaper(max_tokens);
  int status = 0;
  std::string error_body;
  bool head_sent = false;
  std::vector<sse::SseEvent> events;
  std::vector<std::string> forward;

  auto flush = [&]() {
    if (forward.empty()) return;
    if (!first_token_us) first_token_us = steady_now_us();
    proto::Frame part;
    for (auto& e : forward) part.mutable_part()->add_events(std::move(e));
    forward.clear();
    send_(part);
  };

  auto ex = co_await asio::this_coro::executor;
  http::ClientRequest engine_request;
  engine_request.method = "POST";
  engine_request.url = settings_.engine_url;
  engine_request.target = request_.path();
  engine_request.headers = {
      {"Content-Type", "application/json"}, {"Accept", "text/event-stream"}, {"X-Request-Id", rid}};
  engine_request.body = std::move(body);
  engine_request.timeout = std::chrono::milliseconds(timeout_ms);
  auto on_head = [&](const http::ResponseHead& h) {
    status = h.status;
    if (h.status == 200) {
      proto::Frame head;
      head.mutable_head()->set_status(200);
      head.mutable_head()->set_worker_id(settings_.worker_id);
      head.mutable_head()->set_coefficient(settings_.coefficient);
      // Our embedded engine sends the tokenized prompt's size; the proxy then holds exactly that.
      if (auto it = h.headers.find("x-prompt-tokens"); it != h.headers.end()) {
        char* end = nullptr;
        unsigned long long n = std::strtoull(it->second.c_str(), &end, 10);
        if (end && *end == '\0' && n > 0) head.mutable_head()->set_prompt_tokens(n);
      }
      send_(head);
      head_sent = true;
    }
  };
  auto on_body = [&](std::string_view bytes) -> bool {
    if (status != 200) {
      if (error_body.size() < 65536) error_body.append(bytes.substr(0, 65536 - error_body.size()));
      return true;
    }
    events.clear();
    parser.feed(bytes, events);
    bool more = true;
    for (auto& ev : events) {
      if (!shaper.on_event(ev, forward)) {
        more = false;
        break;
      }
    }
    flush();
    return more;
  };
  http_ = std::make_shared<http::StreamingRequest>(ex);
  if (cancelled_) http_->cancel();
  http::ClientResult result = co_await http_->run(std::move(engine_request), on_head, on_body);

  // A cancelled stream's half-received last event is not the engine's fault: don't parse it.
  if (status == 200 && !shaper.finished() && !cancelled_) {
    events.clear();
    parser.finish(events);
    for (auto& ev : events)
      if (!shaper.on_event(ev, forward)) break;
    flush();
  }
  int64_t t_end = steady_now_us();
  outcome.total_ms = (t_end - t0) / 1000.0;
  outcome.ttft_ms = first_token_us ? (first_token_us - t0) / 1000.0 : 0;
  outcome.usage = shaper.usage(prompt_estimate);
  if (shaper.malformed_events())
    spdlog::warn("rid={} engine sent {} unparsable events", rid, shaper.malformed_events());

  if (cancelled_) {
    send_error(499, "cancelled", "request cancelled: " + cancel_reason_, outcome.usage);
    outcome.name = "cancelled";
  } else if (result.error == http::ClientError::timeout) {
    send_error(504, "timeout",
               "worker " + settings_.worker_id + ": engine did not finish within " + std::to_string(timeout_ms) + " ms",
               outcome.usage);
    outcome.name = "timeout";
  } else if (status != 0 && status != 200) {
    uint32_t code = status >= 400 && status < 500 ? static_cast<uint32_t>(status) : 502;
    send_error(code, "engine_error",
               "engine answered HTTP " + std::to_string(status) + ": " + engine_error_text(error_body), outcome.usage);
    outcome.name = "engine_error";
  } else if (!result.ok() && !shaper.finished()) {
    send_error(502, head_sent ? "engine_stream_broken" : "engine_unreachable",
               "engine " + settings_.engine_url + ": " + result.message, outcome.usage);
    outcome.name = head_sent ? "engine_stream_broken" : "engine_unreachable";
  } else if (!shaper.engine_error().empty()) {
    send_error(502, "engine_error", "engine reported: " + shaper.engine_error(), outcome.usage);
    outcome.name = "engine_error";
  } else {
    proto::Frame end;
    auto* e = end.mutable_end();
    *e->mutable_usage() = to_proto(outcome.usage);
    e->set_finish_reason(shaper.finish_reason());
    e->set_truncated(shaper.truncated());
    e->mutable_worker()->set_total_us(t_end - t0);
    if (first_token_us) e->mutable_worker()->set_first_token_us(first_token_us - t0);
    send_(end);
    outcome.name = "ok";
  }
  spdlog::info("rid={} {} prompt={} completion={}{} ttft={:.1f}ms total={:.1f}ms", rid, outcome.name,
               outcome.usage.prompt, outcome.usage.completion, outcome.usage.estimated ? " (estimated)" : "",
               outcome.ttft_ms, outcome.total_ms);
  http_.reset();
  co_return outcome;
}

}  // namespace chrysalis::worker
