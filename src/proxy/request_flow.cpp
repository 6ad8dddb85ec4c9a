// A request's start, dispatch, retries, failure and finish (request_flow.h).
#include "proxy/request_flow.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "api/inference_request_check.h"

namespace chrysalis::proxy {

RequestFlow::RequestFlow(uint64_t client_conn, proto::InferenceRequest request, RequestFacts facts,
                         FlowSettings settings, RequestRouter& router, RequestBiller& biller, Metrics& metrics)
    : client_conn_(client_conn),
      request_(std::move(request)),
      facts_(std::move(facts)),
      settings_(settings),
      router_(router),
      biller_(biller),
      metrics_(metrics) {}

FlowActions RequestFlow::start(int64_t now_us) {
  if (phase_ != FlowPhase::Idle) return {};
  phase_ = FlowPhase::Waiting;
  started_us_ = now_us;
  uint32_t timeout_ms = request_.timeout_ms() ? request_.timeout_ms() : settings_.request_timeout_ms;
  deadline_us_ = now_us + int64_t{std::min(timeout_ms, settings_.request_timeout_ms)} * 1000;
  if (facts_.model.empty()) {
    fail(400, "invalid_request_error", "missing_model", "request body names no model", "proxy", nullptr, now_us);
  } else if (std::string problem = router_.serving_problem(); !problem.empty()) {
    fail(503, "server_error", "registry_unavailable", "the proxy is not serving: " + problem, "proxy", nullptr, now_us);
  } else if (auto refusal = biller_.admit(client_conn_, client_contract_); refusal.http_status) {
    fail_refused(refusal, now_us);
  } else {
    arm(FlowTimer::Deadline, deadline_us_);
    tried_ = facts_.failed_workers;
    if (facts_.resumed) metrics_.add("resumes", {{"outcome", "continued"}});
    spot_due_ = facts_.deterministic && router_.spot_check_due();
    dispatch(now_us);
  }
  return take();
}

bool RequestFlow::dispatch(int64_t now_us) {
  WorkerPick pick = router_.choose(facts_, request_, tried_);
  if (pick.conn == 0 && pick.http_status == 429 && settings_.queue_max_wait_ms && attempts_ == 0) {
    phase_ = FlowPhase::Queued;  // every worker is busy: wait for a slot rather than refuse
    if (queued_us_ == 0) {
      queued_us_ = now_us;
      int64_t give_up_us = now_us + int64_t{settings_.queue_max_wait_ms} * 1000;
      if (give_up_us < deadline_us_) arm(FlowTimer::QueueWait, give_up_us);
      int64_t remaining_ms = std::max<int64_t>(0, (deadline_us_ - now_us) / 1000);
      emit(Enqueue{facts_.model, static_cast<uint32_t>(remaining_ms)});  // last: the node may refuse it at once
      metrics_.add("queued", {});
    }
    return false;
  }
  if (pick.conn == 0) {
    const char* type = pick.http_status == 404 ? "invalid_request_error" : "server_error";
    fail(pick.http_status, type, pick.code, pick.message, "proxy", nullptr, now_us);
    return false;
  }
  Reservation hold = biller_.reserve(client_contract_, pick.contract, pick.coefficient, request_);
  if (hold.refusal.http_status) {
    fail_refused(hold.refusal, now_us);
    return false;
  }
  primary_ = open_attempt(pick, hold.id, now_us);
  attempts_++;
  send_request(primary_, now_us);
  if (spot_due_ && facts_.e2e && attempts_ == 1) ask_spot_seals();
  if (uint32_t ms = first_token_limit_ms(primary_)) arm(FlowTimer::FirstToken, now_us + ms * 1000LL);
  if (uint32_t ms = hedge_delay_ms(primary_); ms && !hedge_) arm(FlowTimer::Hedge, now_us + ms * 1000LL);
  spdlog::info("rid={} model={} -> worker conn={} (attempt {}, {} running before)", request_.request_id(), facts_.model,
               primary_.conn, attempts_, primary_.running_before);
  return true;
}

FlowAttempt RequestFlow::open_attempt(const WorkerPick& pick, uint64_t reservation, int64_t now_us) {
  WorkerSlot slot = router_.take_slot(pick.conn);
  tried_.push_back(pick.conn);
  FlowAttempt a;
  a.conn = pick.conn;
  a.stream = slot.stream;
  a.worker_key = pick.key;
  a.running_before = slot.running_before;
  a.started_us = now_us;
  a.reservation = reservation;
  a.certificate = pick.certificate;
  a.route = pick.route;
  a.predicted_ttft_ms = pick.predicted_ttft_ms;
  emit(WatchStream{a.conn, a.stream});
  return a;
}

// E2E: the body is the client's to seal, so the attempt first asks the client to seal it for
// this worker (send_sealed_request follows its answer). Otherwise the request goes out at once.
void RequestFlow::send_request(FlowAttempt& attempt, int64_t now_us) {
  if (facts_.e2e) {
    attempt.seal_id = ++seals_asked_;
    attempt.seal_pending = true;
    proto::Frame ask;
    ask.mutable_seal_for()->set_attempt(attempt.seal_id);
    ask.mutable_seal_for()->set_worker_certificate(attempt.certificate);
    emit(SendToClient{std::move(ask)});
    return;
  }
  proto::Frame out;
  out.set_stream(attempt.stream);
  auto* req = out.mutable_request();
  *req = request_;
  int64_t remaining_ms = std::max<int64_t>(1, (deadline_us_ - now_us) / 1000);
  // The worker gets slightly less time so that its timeout error reaches the client before ours.
  req->set_timeout_ms(static_cast<uint32_t>(std::max<int64_t>(1, remaining_ms * 95 / 100)));
  emit(SendToWorker{attempt.conn, std::move(out)});
}

void RequestFlow::send_sealed_request(FlowAttempt& attempt, const proto::SealedBody& sealed, int64_t now_us) {
  attempt.seal_pending = false;
  proto::Frame out;
  out.set_stream(attempt.stream);
  auto* req = out.mutable_request();
  *req = request_;
  *req->mutable_sealed() = sealed;
  int64_t remaining_ms = std::max<int64_t>(1, (deadline_us_ - now_us) / 1000);
  req->set_timeout_ms(static_cast<uint32_t>(std::max<int64_t>(1, remaining_ms * 95 / 100)));
  emit(SendToWorker{attempt.conn, std::move(out)});
}

FlowActions RequestFlow::on_client_sealed(const proto::SealedFor& sealed, int64_t now_us) {
  if (!client_active() || sealed.attempt() == 0) return {};
  if (on_spot_sealed(sealed)) return {};
  auto waits = [&](const FlowAttempt& a) { return a.conn && a.seal_pending && a.seal_id == sealed.attempt(); };
  FlowAttempt* attempt = waits(primary_) ? &primary_ : hedge_ && waits(*hedge_) ? &*hedge_ : nullptr;
  if (!attempt) {
    metrics_.add("e2e_seals_ignored", {});  // for an attempt that ended meanwhile
    return {};
  }
  if (!sealed.refused().empty()) {
    on_worker_refused_by_client(*attempt, sealed.refused(), now_us);
    return take();
  }
  if (auto refusal = api::check_sealed_body(request_, sealed.sealed())) {
    fail(refusal->http_status, "invalid_request_error", refusal->code, refusal->message, "proxy", nullptr, now_us);
    return take();
  }
  send_sealed_request(*attempt, sealed.sealed(), now_us);
  return take();
}

// The client's own policy refuses a worker this proxy accepts: not the worker's fault, so its
// reputation is left alone, but the request goes to another worker.
void RequestFlow::on_worker_refused_by_client(FlowAttempt& attempt, const std::string& reason, int64_t now_us) {
  metrics_.add("e2e_workers_refused_by_client", {});
  std::string message = "the client refused worker " + attempt.worker_key.substr(0, 16) + ": " + reason.substr(0, 512);
  spdlog::warn("rid={} {}", request_.request_id(), message);
  if (&attempt != &primary_) {
    drop_hedge("");
    return;
  }
  if (hedge_) {
    detach_primary();
    adopt_hedge(now_us);
    return;
  }
  retry_or_fail(502, "worker_refused_by_client", message, "client", now_us);
}

void RequestFlow::retry_or_fail(uint32_t status, const std::string& code, const std::string& message,
                                const std::string& hop, int64_t now_us, const proto::ResponseError* worker_error) {
  detach_primary();
  bool time_left = now_us < deadline_us_;
  if (!head_sent_ && attempts_ <= settings_.max_retries && time_left) {
    spdlog::warn("rid={} failed before its first token ({}); trying another worker", request_.request_id(), message);
    metrics_.add("retries", {});
    if (router_.has_free_worker(facts_.model, tried_)) {
      dispatch(now_us);
      return;
    }
  }
  fail(status, "upstream_error", code, message, hop, worker_error, now_us);
}

void RequestFlow::fail(uint32_t status, const std::string& type, const std::string& code, const std::string& message,
                       const std::string& hop, const proto::ResponseError* worker_error, int64_t now_us) {
  proto::Frame out;
  auto* e = out.mutable_error();
  e->set_http_status(status);
  e->set_type(type);
  e->set_code(code);
  e->set_message(message);
  e->set_hop(hop);
  if (retry_after_s_) e->set_retry_after_s(std::exchange(retry_after_s_, 0));
  if (worker_error) {  // e2e: the worker's sealed account goes to the client as sent
    e->set_sealed_final(worker_error->sealed_final());
    if (primary_.conn != 0) {  // still attached: what it produced is charged (a retried attempt was released)
      *e->mutable_usage() = worker_error->usage();
      biller_.release(std::exchange(primary_.reservation, 0), &e->usage(), e->mutable_billing());
    }
  }
  emit(SendToClient{std::move(out)});
  spdlog::warn("rid={} failed {} {} at {}: {}", request_.request_id(), status, code, hop, message);
  finish(code.empty() ? "error" : code, now_us);
}

void RequestFlow::fail_refused(const BillingRefusal& refusal, int64_t now_us) {
  fail(refusal.http_status, refusal.type, refusal.code, refusal.message, "proxy", nullptr, now_us);
}

void RequestFlow::fail_worker_gone_mid_answer(const std::string& reason, int64_t now_us) {
  proto::ResponseError gone;
  *gone.mutable_usage() = relayed_usage();
  remember_resumable();
  fail(502, "upstream_error", "worker_disconnected", "worker disconnected mid-answer: " + reason, "worker", &gone,
       now_us);
}

void RequestFlow::remember_resumable() {
  if (request_.path() == "/v1/embeddings") return;
  emit(RememberResumable{tried_, facts_.resumes});
}

void RequestFlow::finish(const std::string& outcome, int64_t now_us) {
  if (!client_active()) return;
  if (phase_ == FlowPhase::Queued) {
    emit(LeaveQueue{});
    disarm(FlowTimer::QueueWait);
  }
  if (head_sent_ && !worker_answered_) drain(now_us);  // cut short mid-answer: charge what the worker produced
  drop_hedge("request finished (" + outcome + ")");
  disarm(FlowTimer::Hedge);
  detach_primary();
  disarm(FlowTimer::Deadline);
  emit(ClientDone{outcome});
  metrics_.add("requests", {{"outcome", outcome}});
  if (draining_) {
    phase_ = FlowPhase::Draining;
    emit(WatchStream{draining_->conn, draining_->stream});
    arm(FlowTimer::DrainGrace, now_us + settings_.drain_grace_us);
  } else {
    phase_ = FlowPhase::Done;
    emit(FlowDone{});
  }
}

void RequestFlow::detach_primary() {
  biller_.release(std::exchange(primary_.reservation, 0), nullptr, nullptr);  // nothing of it reached the client
  if (primary_.conn == 0) return;
  forget(primary_);
  router_.release_slot(primary_.conn);
  primary_ = FlowAttempt{};
  disarm(FlowTimer::FirstToken);
}

void RequestFlow::forget(const FlowAttempt& attempt) { emit(ForgetStream{attempt.conn, attempt.stream}); }

// The client's side ended after the first token: the hold waits for the worker's usage report, and
// the client for the worker's receipt (on a free network too, where nothing is held).
void RequestFlow::drain(int64_t now_us) {
  if (primary_.conn == 0 || !router_.connected(primary_.conn)) {
    proto::Usage produced = relayed_usage();
    biller_.release(std::exchange(primary_.reservation, 0), &produced, nullptr);
    return;
  }
  draining_ = primary_;
  primary_.reservation = 0;
}

void RequestFlow::end_drain(const proto::Usage& produced, proto::Billing* billed) {
  biller_.release(std::exchange(draining_->reservation, 0), &produced, billed);
  forget(*draining_);
  draining_.reset();
  disarm(FlowTimer::DrainGrace);
  phase_ = FlowPhase::Done;
  emit(PaymentsChanged{});
  emit(FlowDone{});
}

// When the worker cannot say what a cut-short request produced: what reached the client.
proto::Usage RequestFlow::relayed_usage() const {
  proto::Usage u;
  u.set_completion_tokens(events_relayed_);
  // A continuation's prompt was paid with the answer's first part.
  if (events_relayed_ && !facts_.resumed)
    u.set_prompt_tokens(head_prompt_tokens_ ? head_prompt_tokens_ : request_.prompt_tokens_estimate());
  return u;
}

FlowActions RequestFlow::on_worker_gone(uint64_t conn, const std::string& reason, int64_t now_us) {
  if (phase_ == FlowPhase::Draining && draining_ && draining_->conn == conn) {
    end_drain(relayed_usage());
    return take();
  }
  if (!client_active()) return {};
  if (hedge_ && hedge_->conn == conn) {
    router_.record(hedge_->worker_key, facts_.model, Outcome::ErrorBeforeFirstToken, request_.request_id(), nullptr);
    drop_hedge("");
    if (primary_.conn != conn) return take();
  }
  if (primary_.conn != conn) return take();
  record_worker_error(502, "worker_disconnected");
  if (hedge_ && !head_sent_) {
    detach_primary();
    adopt_hedge(now_us);
  } else if (head_sent_) {
    fail_worker_gone_mid_answer(reason, now_us);
  } else {
    retry_or_fail(502, "worker_disconnected", "worker disconnected: " + reason, "worker", now_us);
  }
  return take();
}

FlowActions RequestFlow::on_admitted(int64_t now_us) {
  if (phase_ != FlowPhase::Queued) return {};
  phase_ = FlowPhase::Waiting;
  if (dispatch(now_us)) {
    disarm(FlowTimer::QueueWait);
    metrics_.observe("queue_wait", {}, (now_us - queued_us_) / 1000.0);
  }
  return take();
}

FlowActions RequestFlow::on_queue_refused(uint32_t http_status, const std::string& code, const std::string& message,
                                          uint32_t retry_after_s, int64_t now_us) {
  if (phase_ != FlowPhase::Queued) return {};
  retry_after_s_ = retry_after_s;
  fail(http_status, "server_error", code, message, "proxy", nullptr, now_us);
  return take();
}

void RequestFlow::on_queue_timeout(int64_t now_us) {
  if (phase_ != FlowPhase::Queued) return;
  uint32_t waited_ms = static_cast<uint32_t>((now_us - queued_us_) / 1000);
  metrics_.add("queue_timeouts", {});
  retry_after_s_ = 1;
  fail(429, "server_error", "all_workers_busy",
       "all workers for model '" + facts_.model + "' stayed busy for the " + std::to_string(waited_ms) +
           " ms this request waited for a slot",
       "proxy", nullptr, now_us);
}

FlowActions RequestFlow::on_client_cancel(const std::string& reason, int64_t now_us) {
  if (!client_active()) return {};
  if (primary_.conn) emit(CancelOnWorker{primary_.conn, primary_.stream, reason});
  spdlog::info("rid={} cancelled by client: {}", request_.request_id(), reason);
  finish("cancelled", now_us);
  return take();
}

void RequestFlow::arm(FlowTimer timer, int64_t at_us) {
  timers_[static_cast<std::size_t>(timer)] = at_us;
  emit(SetTimer{timer, at_us});
}

void RequestFlow::disarm(FlowTimer timer) {
  auto& at = timers_[static_cast<std::size_t>(timer)];
  if (at == 0) return;
  at = 0;
  emit(ClearTimer{timer});
}

}  // namespace chrysalis::proxy
