#include "worker/inference_job.h"
#include "common/json_bounded.h"

#include <boost/asio/this_coro.hpp>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/time.h"
#include "http/http_client.h"
#include "receipts/answer_digest.h"
#include "sse/sse_parser.h"
#include "worker/embedding_relay.h"
#include "worker/stream_shaper.h"

namespace chrysalis::worker {

namespace asio = boost::asio;

namespace {
constexpr std::string_view kEmbeddingsPath = "/v1/embeddings";
}  // namespace

std::string prepare_engine_body(const std::string& body, uint32_t max_tokens, const std::string& engine_model_name) {
  // Parsed keeping key order: a JSON schema's properties reach the engine in the app's order.
  auto parsed = parse_ordered_json_bounded(body);
  if (!parsed.ok()) throw std::invalid_argument(parsed.error);
  nlohmann::ordered_json& j = parsed.value;
  // max_tokens is the whole request's budget: n choices get an equal share each, so that a body
  // asking more than was paid for ends at "length" per choice rather than being cut mid-stream.
  uint64_t choices = 1;
  if (j.contains("n") && j["n"].is_number_unsigned())
    choices = std::clamp<uint64_t>(j["n"].get<uint64_t>(), 1, max_tokens);
  uint64_t share = max_tokens / choices;
  uint64_t asked = share;
  if (j.contains("max_tokens") && j["max_tokens"].is_number_unsigned()) asked = j["max_tokens"].get<uint64_t>();
  j["max_tokens"] = std::min<uint64_t>(asked, share);
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
  auto j = parse_json_bounded(body).value;
  if (j.is_object() && j.contains("error")) {
    auto& e = j["error"];
    if (e.is_object() && e.contains("message") && e["message"].is_string()) return e["message"].get<std::string>();
    if (e.is_string()) return e.get<std::string>();
  }
  return body.substr(0, 500);
}
}  // namespace

InferenceJob::InferenceJob(proto::InferenceRequest request, JobSettings settings, Send send, AnswerTexts texts)
    : request_(std::move(request)), settings_(std::move(settings)), send_(std::move(send)), texts_(std::move(texts)) {}

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

// The engine's answer as it arrives: the head and each chunk, shaped and relayed to the proxy.
struct InferenceJob::Stream {
  Stream(uint32_t max_tokens, const Send& send_frame, const AnswerTexts& texts_of_part)
      : shaper(max_tokens), send(send_frame), on_texts(texts_of_part) {}

  // The head: on 200, tell the proxy the worker, its price and (when the engine says) the
  // tokenized prompt's size.
  void on_head(const http::ResponseHead& h, const JobSettings& settings) {
    status = h.status;
    if (h.status != 200) return;
    proto::Frame head;
    head.mutable_head()->set_status(200);
    head.mutable_head()->set_worker_id(settings.worker_id);
    head.mutable_head()->set_coefficient(settings.coefficient);
    // Our embedded engine sends the tokenized prompt's size; the proxy then holds exactly that.
    if (auto it = h.headers.find("x-prompt-tokens"); it != h.headers.end()) {
      char* end = nullptr;
      unsigned long long n = std::strtoull(it->second.c_str(), &end, 10);
      if (end && *end == '\0' && n > 0) head.mutable_head()->set_prompt_tokens(n);
    }
    send(head);
    head_sent = true;
  }

  // A piece of the body: an error body is kept (up to 64 KiB), SSE is parsed, shaped and relayed;
  // an embeddings answer is gathered. False once the shaper has seen the end.
  bool on_body(std::string_view bytes) {
    if (status != 200) {
      if (error_body.size() < 65536) error_body.append(bytes.substr(0, 65536 - error_body.size()));
      return true;
    }
    if (embedding) return embedding->on_body(bytes);
    events.clear();
    parser.feed(bytes, events);
    bool more = true;
    for (auto& ev : events) {
      if (!shaper.on_event(ev, forward, on_texts ? &texts : nullptr)) {
        more = false;
        break;
      }
    }
    flush();
    return more;
  }

  // After the exchange: the engine's last event, if it ended without a final newline; or the
  // whole embeddings answer, once it arrived complete.
  void finish(bool cancelled, bool complete) {
    // A cancelled stream's half-received last event is not the engine's fault: don't parse it.
    if (status != 200 || finished() || cancelled) return;
    if (embedding) {
      if (!complete) return;
      for (auto& part : embedding->finish()) {
        forward = std::move(part);
        flush();
      }
      return;
    }
    events.clear();
    parser.finish(events);
    for (auto& ev : events)
      if (!shaper.on_event(ev, forward, on_texts ? &texts : nullptr)) break;
    flush();
  }

  void flush() {
    if (forward.empty()) return;
    if (!first_token_us) first_token_us = steady_now_us();
    if (on_texts) {
      if (texts.size() != forward.size()) {  // embeddings parts: not from the shaper
        texts.clear();
        for (const auto& e : forward) texts.push_back(receipts::answer_text_of(std::string_view(e)));
      }
      on_texts(texts);
      texts.clear();
    }
    proto::Frame part;
    for (auto& e : forward) part.mutable_part()->add_events(std::move(e));
    forward.clear();
    send(part);
  }

  bool finished() const { return embedding ? embedding->finished() : shaper.finished(); }
  sse::Usage usage(uint64_t prompt_estimate) const {
    return embedding ? embedding->usage(prompt_estimate) : shaper.usage(prompt_estimate);
  }

  sse::SseParser parser;
  StreamShaper shaper;
  std::optional<EmbeddingRelay> embedding;  // set for /v1/embeddings
  const Send& send;
  const AnswerTexts& on_texts;
  std::vector<std::string> texts;  // the answer text of each event in `forward`
  int status = 0;
  std::string error_body;
  bool head_sent = false;
  int64_t first_token_us = 0;
  std::vector<sse::SseEvent> events;
  std::vector<std::string> forward;
};

http::ClientRequest InferenceJob::engine_request(std::string body, uint32_t timeout_ms) const {
  http::ClientRequest engine_request;
  engine_request.method = "POST";
  engine_request.url = settings_.engine_url;
  engine_request.target = request_.path();
  engine_request.headers = {{"Content-Type", "application/json"},
                            {"Accept", request_.path() == kEmbeddingsPath ? "application/json" : "text/event-stream"},
                            {"X-Request-Id", request_.request_id()}};
  engine_request.body = std::move(body);
  engine_request.timeout = std::chrono::milliseconds(timeout_ms);
  engine_request.pool = settings_.engine_pool;
  return engine_request;
}

asio::awaitable<JobOutcome> InferenceJob::run() {
  const std::string& rid = request_.request_id();
  int64_t t0 = steady_now_us();
  JobOutcome outcome;
  uint32_t max_tokens = request_.max_tokens();  // checked > 0 when the request arrived (0: embeddings)

  std::string body;
  std::optional<api::EmbeddingShape> embedding;
  try {
    if (request_.path() == kEmbeddingsPath) {
      auto prepared = prepare_embedding_body(request_.body(), settings_.engine_model_name);
      body = std::move(prepared.body);
      embedding = prepared.shape;
    } else {
      body = prepare_engine_body(request_.body(), max_tokens, settings_.engine_model_name);
    }
  } catch (const std::exception& e) {
    send_error(400, "invalid_body", std::string("request body ") + e.what(), {});
    outcome.name = "invalid_body";
    co_return outcome;
  }
  uint64_t prompt_estimate = request_.prompt_tokens_estimate()
                                 ? request_.prompt_tokens_estimate()
                                 : sse::estimate_prompt_tokens(parse_json_bounded(body).value);
  uint32_t timeout_ms =
      request_.timeout_ms() ? std::min(request_.timeout_ms(), settings_.max_timeout_ms) : settings_.max_timeout_ms;

  Stream stream(max_tokens, send_, texts_);
  if (embedding) stream.embedding.emplace(*embedding);
  auto on_head = [&](const http::ResponseHead& h) { stream.on_head(h, settings_); };
  auto on_body = [&](std::string_view bytes) { return stream.on_body(bytes); };
  auto ex = co_await asio::this_coro::executor;
  http::ClientRequest request = engine_request(std::move(body), timeout_ms);
  http_ = std::make_shared<http::StreamingRequest>(ex);
  if (cancelled_) http_->cancel();
  http::ClientResult result = co_await http_->run(std::move(request), on_head, on_body);
  stream.finish(cancelled_, result.ok());

  int64_t t_end = steady_now_us();
  outcome.total_ms = (t_end - t0) / 1000.0;
  outcome.ttft_ms = stream.first_token_us ? (stream.first_token_us - t0) / 1000.0 : 0;
  outcome.usage = stream.usage(prompt_estimate);
  if (stream.shaper.malformed_events())
    spdlog::warn("rid={} engine sent {} unparsable events", rid, stream.shaper.malformed_events());
  outcome.name = send_outcome(stream, result, outcome.usage, timeout_ms, t0, t_end);
  spdlog::info("rid={} {} prompt={} completion={}{} ttft={:.1f}ms total={:.1f}ms", rid, outcome.name,
               outcome.usage.prompt, outcome.usage.completion, outcome.usage.estimated ? " (estimated)" : "",
               outcome.ttft_ms, outcome.total_ms);
  http_.reset();
  co_return outcome;
}

// The last frame to the proxy: the end with usage and timings, or the error that explains why
// the answer stopped (still with the usage so far). Returns the outcome's name.
std::string InferenceJob::send_outcome(const Stream& stream, const http::ClientResult& result, const sse::Usage& usage,
                                       uint32_t timeout_ms, int64_t t0, int64_t t_end) {
  const StreamShaper& shaper = stream.shaper;
  if (cancelled_) {
    send_error(499, "cancelled", "request cancelled: " + cancel_reason_, usage);
    return "cancelled";
  }
  if (result.error == http::ClientError::timeout) {
    send_error(504, "timeout",
               "worker " + settings_.worker_id + ": engine did not finish within " + std::to_string(timeout_ms) + " ms",
               usage);
    return "timeout";
  }
  if (stream.status != 0 && stream.status != 200) {
    uint32_t code = stream.status >= 400 && stream.status < 500 ? static_cast<uint32_t>(stream.status) : 502;
    send_error(code, "engine_error",
               "engine answered HTTP " + std::to_string(stream.status) + ": " + engine_error_text(stream.error_body),
               usage);
    return "engine_error";
  }
  if (stream.embedding && !stream.embedding->problem().empty()) {
    send_error(502, "engine_error", "engine's embeddings answer: " + stream.embedding->problem(), usage);
    return "engine_error";
  }
  if (!result.ok() && !stream.finished()) {
    std::string name = stream.head_sent ? "engine_stream_broken" : "engine_unreachable";
    send_error(502, name, "engine " + settings_.engine_url + ": " + result.message, usage);
    return name;
  }
  if (!shaper.engine_error().empty()) {
    send_error(502, "engine_error", "engine reported: " + shaper.engine_error(), usage);
    return "engine_error";
  }
  proto::Frame end;
  auto* e = end.mutable_end();
  *e->mutable_usage() = to_proto(usage);
  e->set_finish_reason(stream.embedding ? "stop" : shaper.finish_reason());
  e->set_truncated(shaper.truncated());
  e->mutable_worker()->set_total_us(t_end - t0);
  if (stream.first_token_us) e->mutable_worker()->set_first_token_us(stream.first_token_us - t0);
  send_(end);
  return "ok";
}

}  // namespace chrysalis::worker
