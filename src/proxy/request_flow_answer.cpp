// A request's worker frames: the held-back head, parts relayed as they come, the end (settled
// before the client sees it) and errors (retried before the first token, passed on after it).
#include <spdlog/spdlog.h>

#include "api/inference_request_check.h"
#include "common/hex.h"
#include "proto/answer_outcome.h"
#include "proxy/request_flow.h"
#include "receipts/receipt.h"

namespace chrysalis::proxy {

FlowActions RequestFlow::on_worker_frame(uint64_t conn, uint64_t stream, proto::Frame& frame, int64_t now_us) {
  check_worker_receipt(conn, stream, frame);
  bound_worker_claims(frame);
  if (phase_ == FlowPhase::Draining) {
    if (draining_ && draining_->conn == conn && draining_->stream == stream) return on_drained_frame(frame);
    return {};
  }
  if (!client_active()) return {};
  bool from_hedge = hedge_ && hedge_->conn == conn && hedge_->stream == stream;
  if (from_hedge && !on_hedge_frame(frame, now_us)) return take();
  if (!from_hedge && (primary_.conn != conn || primary_.stream != stream)) return take();
  if (frame.has_head()) {
    on_head(frame.head());
  } else if (frame.has_part()) {
    on_part(conn, frame, now_us);
  } else if (frame.has_end()) {
    worker_answered_ = true;
    on_end(conn, frame.end(), now_us);
  } else if (frame.has_error()) {
    worker_answered_ = true;
    on_error(frame.error(), now_us);
  } else {
    emit(CloseWorker{conn, "protocol violation: unexpected message from worker"});
  }
  return take();
}

// What a worker claims is bounded by what was reserved for the request: a lying worker cannot
// charge the client for more prompt than the body holds or more completion than max_tokens.
void RequestFlow::bound_worker_claims(proto::Frame& frame) {
  bool clamped = false;
  if (frame.has_head() && frame.head().prompt_tokens() > api::prompt_token_bound(request_)) {
    frame.mutable_head()->set_prompt_tokens(api::prompt_token_bound(request_));
    clamped = true;
  }
  if (frame.has_end()) clamped |= api::clamp_usage(*frame.mutable_end()->mutable_usage(), request_);
  if (frame.has_error()) clamped |= api::clamp_usage(*frame.mutable_error()->mutable_usage(), request_);
  if (facts_.resumed) {  // the prompt, prefill included, was paid with the answer's first part
    if (frame.has_head()) frame.mutable_head()->set_prompt_tokens(0);
    for (proto::Usage* u : {frame.has_end() ? frame.mutable_end()->mutable_usage() : nullptr,
                            frame.has_error() ? frame.mutable_error()->mutable_usage() : nullptr})
      if (u) {
        u->set_prompt_tokens(0);
        u->set_cached_tokens(0);
      }
  }
  if (clamped) {
    metrics_.add("worker_claims_clamped", {});
    spdlog::warn("rid={} a worker claimed more tokens than the request could use; clamped to the reservation",
                 request_.request_id());
  }
}

// A receipt the worker attached must be its own (signed by the key of the worker on that stream),
// name this request and agree with the usage in the frame; one that does not is dropped and its
// usage billed as nothing. Clients check receipts again: they pay only what the worker signed.
void RequestFlow::check_worker_receipt(uint64_t conn, uint64_t stream, proto::Frame& frame) {
  proto::ResponseEnd* end = frame.has_end() ? frame.mutable_end() : nullptr;
  proto::ResponseError* error = frame.has_error() ? frame.mutable_error() : nullptr;
  if (!end && !error) return;
  if (end ? !end->has_receipt() : !error->has_receipt()) return;
  const FlowAttempt* attempt = primary_.conn == conn && primary_.stream == stream                    ? &primary_
                               : hedge_ && hedge_->conn == conn && hedge_->stream == stream          ? &*hedge_
                               : draining_ && draining_->conn == conn && draining_->stream == stream ? &*draining_
                                                                                                     : nullptr;
  if (!attempt) return;
  proto::Receipt& receipt = end ? *end->mutable_receipt() : *error->mutable_receipt();
  proto::Usage& usage = end ? *end->mutable_usage() : *error->mutable_usage();
  receipts::Expected expected;
  expected.request_id = request_.request_id();
  expected.countersigned = false;
  if (attempt->worker_key.size() == 64) {
    auto key = from_hex(attempt->worker_key);
    expected.worker_key.assign(key.begin(), key.end());
  }
  std::string problem;
  auto opened = receipts::open_receipt(receipt, expected, problem);
  if (opened && opened->worker.usage().SerializeAsString() != usage.SerializeAsString())
    problem = "usage: the frame's usage is not the one the worker signed";
  if (problem.empty()) {
    if (!request_.e2e()) receipt.set_worker_certificate(attempt->certificate);  // an e2e client has it already
    return;
  }
  metrics_.add("worker_receipts_invalid", {});
  spdlog::warn("rid={} worker {} sent a receipt that does not verify ({}); its usage is billed as nothing",
               request_.request_id(), attempt->worker_key.substr(0, 16), problem);
  usage = proto::Usage{};
  if (end)
    end->clear_receipt();
  else
    error->clear_receipt();
}

// The client cancelled mid-answer and waits a moment for its receipt: the parts still in flight go
// to it (the worker's answer hash covers them), and the worker's end becomes a `cancelled` error
// carrying the worker's receipt and what was charged for what it produced.
FlowActions RequestFlow::on_drained_frame(const proto::Frame& frame) {
  if (frame.has_part()) {
    emit(SendToClient{frame});
    return take();
  }
  auto ended = proto::answer_outcome(frame);
  if (!ended) return take();
  proto::Frame out;
  auto* error = out.mutable_error();
  error->set_http_status(499);
  error->set_type("cancelled");
  error->set_code("cancelled");
  error->set_message("cancelled by the client; charged what the worker produced until then");
  error->set_hop("proxy");
  *error->mutable_usage() = *ended->usage;
  if (ended->receipt) *error->mutable_receipt() = *ended->receipt;
  end_drain(*ended->usage, error->mutable_billing());
  if (ended->receipt) emit(SendToClient{std::move(out)});
  return take();
}

void RequestFlow::on_head(const proto::ResponseHead& head) {
  primary_.head = head;  // forwarded with the first token: a stall can still fail over
  head_prompt_tokens_ = head.prompt_tokens();
  if (primary_.reservation && head.prompt_tokens()) {
    biller_.hold_exact_prompt(primary_.reservation, head.prompt_tokens(), request_.max_tokens());
    metrics_.add("reservations_held_exact", {});
  }
}

void RequestFlow::on_part(uint64_t conn, proto::Frame& frame, int64_t now_us) {
  if (!head_sent_ && !primary_.head) {
    emit(CloseWorker{conn, "protocol violation: answer part before head"});
    return;
  }
  if (first_token_us_ == 0) {
    first_token_us_ = now_us;
    phase_ = FlowPhase::Streaming;
    disarm(FlowTimer::FirstToken);
    disarm(FlowTimer::Hedge);
    drop_hedge("the other worker answered first");
  }
  flush_head();
  events_relayed_ += events_in(frame.part());
  proto::Frame out;
  *out.mutable_part() = std::move(*frame.mutable_part());
  emit(SendToClient{std::move(out)});
}

// How many events a part holds. A sealed part says so itself; the count is bounded by its size
// (an event is never shorter than 16 bytes of JSON) so a lying worker cannot inflate what is
// charged when it vanishes mid-answer.
uint64_t RequestFlow::events_in(const proto::ResponsePart& part) const {
  if (!facts_.e2e) return part.events_size();
  return std::min<uint64_t>(part.event_count(), part.sealed().size() / 16);
}

void RequestFlow::on_end(uint64_t conn, const proto::ResponseEnd& end, int64_t now_us) {
  flush_head();
  AnswerReport report;
  report.worker_conn = conn;
  report.worker_key = primary_.worker_key;
  report.model = facts_.model;
  report.total_ms = (now_us - started_us_) / 1000.0;
  if (first_token_us_) {
    report.ttft_ms = (first_token_us_ - started_us_) / 1000.0;
    report.attempt_ttft_ms = (first_token_us_ - primary_.started_us) / 1000.0;
    report.generation_ms = (now_us - first_token_us_) / 1000.0;
  }
  report.running_before = primary_.running_before;
  report.prompt_tokens_estimate = request_.prompt_tokens_estimate();
  report.prefix_hash = facts_.prefix_hash;
  report.usage = end.usage();
  report.request_id = request_.request_id();
  if (end.has_receipt()) report.receipt = end.receipt();  // check_worker_receipt cleared one that failed
  router_.answered(report);
  if (spot_due_) offer_spot_check(conn, end);
  proto::Frame out;
  *out.mutable_end() = end;
  auto* timings = out.mutable_end()->mutable_proxy();
  timings->set_total_us(now_us - started_us_);
  if (first_token_us_) timings->set_first_token_us(first_token_us_ - started_us_);
  if (uint64_t hold = std::exchange(primary_.reservation, 0))
    emit(SettleThenSend{hold, end.usage(), std::move(out)});  // on disk before the client sees it
  else
    emit(SendToClient{std::move(out)});
  count_answer(end.usage(), report.total_ms);
  finish("ok", now_us);
}

void RequestFlow::count_answer(const proto::Usage& u, double total_ms) {
  if (first_token_us_) metrics_.observe("time_to_first_token", {}, (first_token_us_ - started_us_) / 1000.0);
  metrics_.add("tokens", {{"kind", "prompt"}}, static_cast<double>(u.prompt_tokens()));
  metrics_.add("tokens", {{"kind", "cached"}}, static_cast<double>(u.cached_tokens()));
  metrics_.add("tokens", {{"kind", "completion"}}, static_cast<double>(u.completion_tokens()));
  metrics_.add("tokens", {{"kind", "reasoning"}}, static_cast<double>(u.reasoning_tokens()));
  metrics_.add("model_requests", {{"model", facts_.model}});
  metrics_.observe("request_latency", {}, total_ms);
}

void RequestFlow::on_error(const proto::ResponseError& e, int64_t now_us) {
  // After the first token what it produced reached the client and is charged: credited too.
  router_.count_failure(primary_.conn, head_sent_ ? e.usage().prompt_tokens() + e.usage().completion_tokens() : 0);
  record_worker_error(e.http_status(), e.code(), e.has_receipt() ? &e.receipt() : nullptr);
  bool retryable = e.http_status() == 429 || e.http_status() >= 500;
  if (!head_sent_ && retryable && e.code() != "cancelled") {
    if (hedge_) {
      detach_primary();
      adopt_hedge(now_us);  // the duplicate already running elsewhere becomes the request
      return;
    }
    retry_or_fail(e.http_status(), e.code(), e.message(), e.hop(), now_us, &e);
  } else {
    if (head_sent_ && e.http_status() >= 500 && e.http_status() != 504 && e.code() != "cancelled") remember_resumable();
    fail(e.http_status(), e.type(), e.code(), e.message(), e.hop(), &e, now_us);
  }
}

void RequestFlow::flush_head() {
  if (!primary_.head) return;
  proto::Frame out;
  *out.mutable_head() = std::move(*primary_.head);
  primary_.head.reset();
  if (facts_.e2e) out.mutable_head()->set_attempt(primary_.seal_id);  // which sealed exchange answers
  out.mutable_head()->set_route(primary_.route);                      // ours to say, not the worker's
  head_sent_ = true;
  phase_ = FlowPhase::Streaming;
  emit(SendToClient{std::move(out)});
}

void RequestFlow::record_worker_error(uint32_t status, const std::string& code, const proto::Receipt* receipt) {
  // The client's own mistakes (4xx) and its cancels say nothing about the worker.
  if (code == "cancelled" || (status >= 400 && status < 500 && status != 408)) return;
  router_.record(primary_.worker_key, facts_.model,
                 head_sent_ ? Outcome::ErrorAfterFirstToken : Outcome::ErrorBeforeFirstToken, request_.request_id(),
                 receipt);
}

}  // namespace chrysalis::proxy
