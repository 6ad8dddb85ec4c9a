// A request's timers and hedging. When the worker of a request has produced no token by
// max(`hedge_after_ms`, `hedge_factor` x its predicted first token) after it was sent, the same
// request races on a second worker; the first to
// produce a token wins and the other is cancelled. Only the winner's stream and usage reach the
// client, so the request is answered and counted once; the loser's partial work is never billed.
#include <spdlog/spdlog.h>

#include "proxy/request_flow.h"
#include "proxy/routing_config.h"

namespace chrysalis::proxy {
uint32_t RequestFlow::first_token_limit_ms(const FlowAttempt& a) const {
  return stall_limit_ms(settings_.first_token_timeout_ms, settings_.first_token_factor, a.predicted_ttft_ms);
}

uint32_t RequestFlow::hedge_delay_ms(const FlowAttempt& a) const {
  return stall_limit_ms(settings_.hedge_after_ms, settings_.hedge_factor, a.predicted_ttft_ms);
}

FlowActions RequestFlow::on_timer(FlowTimer timer, int64_t now_us) {
  auto& at = timers_[static_cast<std::size_t>(timer)];
  if (at == 0 || now_us < at) return {};  // cleared or re-armed since: a stale wake-up
  at = 0;
  switch (timer) {
    case FlowTimer::Deadline:
      on_deadline(now_us);
      break;
    case FlowTimer::FirstToken:
      on_first_token_timeout(now_us);
      break;
    case FlowTimer::Hedge:
      if (client_active() && !first_token_us_ && !head_sent_ && !hedge_ && primary_.conn) launch_hedge(now_us);
      break;
    case FlowTimer::QueueWait:
      on_queue_timeout(now_us);
      break;
    case FlowTimer::DrainGrace:
      if (phase_ == FlowPhase::Draining && draining_) end_drain(relayed_usage());  // the worker never said
      break;
  }
  return take();
}

void RequestFlow::on_deadline(int64_t now_us) {
  if (!client_active()) return;
  if (phase_ == FlowPhase::Queued) return on_queue_timeout(now_us);
  if (primary_.conn) {
    emit(CancelOnWorker{primary_.conn, primary_.stream, "timeout in proxy"});
    router_.record(primary_.worker_key, facts_.model, Outcome::Timeout, request_.request_id(), nullptr);
  }
  fail(504, "timeout_error", "timeout", "request timed out in the proxy", "proxy", nullptr, now_us);
}

void RequestFlow::on_first_token_timeout(int64_t now_us) {
  if (!client_active() || first_token_us_ || head_sent_ || primary_.conn == 0) return;
  emit(CancelOnWorker{primary_.conn, primary_.stream, "no first token in time"});
  router_.record(primary_.worker_key, facts_.model, Outcome::Timeout, request_.request_id(), nullptr);
  metrics_.add("first_token_timeouts", {});
  uint32_t ms = first_token_limit_ms(primary_);
  spdlog::warn("rid={} no first token from worker within {} ms", request_.request_id(), ms);
  if (hedge_) {
    detach_primary();
    adopt_hedge(now_us);
    return;
  }
  retry_or_fail(504, "first_token_timeout", "no first token within " + std::to_string(ms) + " ms", "worker", now_us);
}

void RequestFlow::launch_hedge(int64_t now_us) {
  // A hedge that could not finish before the deadline only burns a worker.
  if (deadline_us_ - now_us < 1000 * int64_t{hedge_delay_ms(primary_)}) {
    metrics_.add("hedges", {{"outcome", "too_late"}});
    return;
  }
  WorkerPick pick = router_.choose(facts_, request_, tried_);
  if (pick.conn == 0) {
    metrics_.add("hedges", {{"outcome", "no_worker"}});
    spdlog::info("rid={} no worker to hedge on: {}", request_.request_id(), pick.message);
    return;
  }
  Reservation hold = biller_.reserve(client_contract_, pick.contract, pick.coefficient, request_);
  if (hold.refusal.http_status) {
    metrics_.add("hedges", {{"outcome", "no_funds"}});  // the client's funds cover one attempt only
    return;
  }
  hedge_ = open_attempt(pick, hold.id, now_us);
  send_request(*hedge_, now_us);
  metrics_.add("hedges", {{"outcome", "launched"}});
  spdlog::info("rid={} no first token after {} ms: hedging on worker conn={}", request_.request_id(),
               hedge_delay_ms(primary_), hedge_->conn);
}

bool RequestFlow::on_hedge_frame(proto::Frame& frame, int64_t now_us) {
  if (frame.has_head()) {
    hedge_->head = frame.head();
    return false;
  }
  if (frame.has_error()) {
    router_.count_failure(hedge_->conn, 0);
    if (frame.error().code() != "cancelled")
      router_.record(hedge_->worker_key, facts_.model, Outcome::ErrorBeforeFirstToken, request_.request_id(),
                     frame.error().has_receipt() ? &frame.error().receipt() : nullptr);
    drop_hedge("");
    return false;
  }
  if (!frame.has_part() && !frame.has_end()) return true;  // the primary's path refuses it
  // The hedge produced first: the primary lost the race (it had no token for longer).
  metrics_.add("hedges", {{"outcome", "won"}});
  router_.record(primary_.worker_key, facts_.model, Outcome::Timeout, request_.request_id(), nullptr);
  emit(CancelOnWorker{primary_.conn, primary_.stream, "a hedged duplicate answered first"});
  spdlog::info("rid={} the hedged duplicate answered first; cancelling the first worker", request_.request_id());
  detach_primary();
  adopt_hedge(now_us);
  return true;
}

// Makes the hedge the primary attempt; the primary must already be detached.
void RequestFlow::adopt_hedge(int64_t now_us) {
  biller_.release(std::exchange(primary_.reservation, 0), nullptr, nullptr);  // its output never reached the client
  primary_ = std::move(*hedge_);
  hedge_.reset();
  attempts_++;
  if (uint32_t ms = first_token_limit_ms(primary_)) arm(FlowTimer::FirstToken, now_us + ms * 1000LL);
}

// Ends the hedge attempt; a non-empty reason is sent to its worker as a cancel.
void RequestFlow::drop_hedge(const std::string& cancel_reason) {
  if (!hedge_) return;
  if (!cancel_reason.empty()) emit(CancelOnWorker{hedge_->conn, hedge_->stream, cancel_reason});
  biller_.release(std::exchange(hedge_->reservation, 0), nullptr, nullptr);  // a duplicate is never billed
  forget(*hedge_);
  router_.release_slot(hedge_->conn);
  hedge_.reset();
}

}  // namespace chrysalis::proxy
