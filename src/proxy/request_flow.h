#pragma once
// One request's life at the proxy, as a state machine without sockets:
//
//   start ─▶ [Queued: every worker busy; waits for a slot, or 429 when the wait is too long]
//     │
//     ▼
//   Waiting (dispatched; the worker's head held back until the first token)
//              │  first token           ╲ error/stall/worker gone before it: retry or hedge wins
//              ▼                          ╲
//            Streaming ─▶ end: settled, then the end is sent ─▶ Done
//              │ client cancels / fails after the first token
//              ▼
//            Draining (the worker reports what it produced, or the grace period ends) ─▶ Done
//
// Each event (a worker frame, a timer, the client's cancel, a worker gone) is a method that
// returns what to send. Routing (RequestRouter) and billing (RequestBiller) are collaborators.
// Times are microseconds on the clock the caller drives the flow with.
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "chrysalis.pb.h"
#include "common/metrics.h"
#include "proxy/request_actions.h"
#include "proxy/request_biller.h"
#include "proxy/request_router.h"

namespace chrysalis::proxy {

struct FlowSettings {
  uint32_t request_timeout_ms = 120'000;  // the most a request may take (its own timeout is capped)
  uint32_t max_retries = 2;               // other workers tried when one fails before its first token
  // Stall limits per attempt: max(floor, factor x the worker's predicted first token) (routing_config.h).
  uint32_t first_token_timeout_ms = 0;    // floor; 0: no stall failover
  double first_token_factor = 4;
  uint32_t hedge_after_ms = 0;            // floor; 0: no hedging
  double hedge_factor = 2;
  int64_t drain_grace_us = 10'000'000;    // how long a cancelled worker has to report its usage
  // When every worker is busy: wait in the admission queue at most this long (0: refuse at once).
  uint32_t queue_max_wait_ms = 30'000;
};

enum class FlowPhase { Idle, Queued, Waiting, Streaming, Draining, Done };

// One worker stream running the request.
struct FlowAttempt {
  uint64_t conn = 0, stream = 0;  // conn 0: none
  std::string worker_key;
  uint32_t running_before = 0;
  int64_t started_us = 0;
  uint64_t reservation = 0;   // what this attempt holds of the client's funds
  std::string certificate;    // e2e: the worker's, sent to the client to seal for
  std::string route;          // why this worker, for the client (price and deadline terms)
  double predicted_ttft_ms = 0;  // routing's expectation for this worker and prompt
  uint32_t seal_id = 0;       // e2e: the SealFor asked for this attempt
  bool seal_pending = false;  // e2e: waiting for the client to seal the body
  std::optional<proto::ResponseHead> head;
};

// E2E spot checks: a worker the client is asked, with the first attempt, to seal the request for
// too, so that the answer can be rerun there (the client seals nothing once the answer started).
struct SpotSeal {
  uint64_t conn = 0;
  uint32_t seal_id = 0;
  bool answered = false;                    // the client answered (sealed or refused)
  std::optional<proto::SealedBody> sealed;  // set when it sealed
};

class RequestFlow {
 public:
  // Workers sealed for up front per spot-checked e2e request: the second opinion and, should the
  // two disagree, the third.
  static constexpr std::size_t kSpotSeals = 2;

  RequestFlow(uint64_t client_conn, proto::InferenceRequest request, RequestFacts facts, FlowSettings settings,
              RequestRouter& router, RequestBiller& biller, Metrics& metrics);

  // Admits, reserves and dispatches the request (or answers why not).
  FlowActions start(int64_t now_us);
  // A frame on one of the streams the flow watches.
  FlowActions on_worker_frame(uint64_t conn, uint64_t stream, proto::Frame& frame, int64_t now_us);
  // A worker connection the flow may be using closed (its worker is already gone from the router).
  FlowActions on_worker_gone(uint64_t conn, const std::string& reason, int64_t now_us);
  // The client cancelled or went away.
  FlowActions on_client_cancel(const std::string& reason, int64_t now_us);
  // E2E: the client's answer to a SealFor: the body sealed for that attempt's worker, or a refusal.
  FlowActions on_client_sealed(const proto::SealedFor& sealed, int64_t now_us);
  FlowActions on_timer(FlowTimer timer, int64_t now_us);
  // Queued: a slot may be free now. Dispatches, or stays Queued (the caller puts it back in line).
  FlowActions on_admitted(int64_t now_us);
  // Queued: the admission queue would not take it.
  FlowActions on_queue_refused(uint32_t http_status, const std::string& code, const std::string& message,
                               uint32_t retry_after_s, int64_t now_us);

  FlowPhase phase() const { return phase_; }
  const proto::InferenceRequest& request() const { return request_; }
  const RequestFacts& facts() const { return facts_; }
  const std::string& client_contract() const { return client_contract_; }
  uint64_t client_conn() const { return client_conn_; }
  const FlowAttempt& primary() const { return primary_; }
  const std::optional<FlowAttempt>& hedge() const { return hedge_; }
  const std::vector<SpotSeal>& spot_seals() const { return spot_seals_; }
  uint32_t attempts() const { return attempts_; }
  bool head_sent() const { return head_sent_; }

 private:
  // Start and dispatch (request_flow.cpp).
  bool dispatch(int64_t now_us);
  FlowAttempt open_attempt(const WorkerPick& pick, uint64_t reservation, int64_t now_us);
  void send_request(FlowAttempt& attempt, int64_t now_us);
  void send_sealed_request(FlowAttempt& attempt, const proto::SealedBody& sealed, int64_t now_us);
  void on_worker_refused_by_client(FlowAttempt& attempt, const std::string& reason, int64_t now_us);
  void ask_spot_seals();
  bool on_spot_sealed(const proto::SealedFor& sealed);
  // worker_error: the worker's own failure, whose sealed account (e2e) reaches the client if no retry does
  void check_worker_receipt(uint64_t conn, uint64_t stream, proto::Frame& frame);
  void retry_or_fail(uint32_t status, const std::string& code, const std::string& message, const std::string& hop,
                     int64_t now_us, const proto::ResponseError* worker_error = nullptr);
  void fail(uint32_t status, const std::string& type, const std::string& code, const std::string& message,
            const std::string& hop, const proto::ResponseError* worker_error, int64_t now_us);
  void fail_refused(const BillingRefusal& refusal, int64_t now_us);
  // The answering worker vanished after the first token: what reached the client is charged, and
  // the client may continue the answer elsewhere.
  void fail_worker_gone_mid_answer(const std::string& reason, int64_t now_us);
  void remember_resumable();
  void finish(const std::string& outcome, int64_t now_us);
  void detach_primary();
  void drain(int64_t now_us);
  // `billed` (may be null) receives what was charged for it.
  void end_drain(const proto::Usage& produced, proto::Billing* billed = nullptr);
  proto::Usage relayed_usage() const;
  // Worker frames (request_flow_answer.cpp).
  FlowActions on_drained_frame(const proto::Frame& frame);
  void bound_worker_claims(proto::Frame& frame);
  void on_head(const proto::ResponseHead& head);
  void on_part(uint64_t conn, proto::Frame& frame, int64_t now_us);
  void on_end(uint64_t conn, const proto::ResponseEnd& end, int64_t now_us);
  void on_error(const proto::ResponseError& error, int64_t now_us);
  void flush_head();
  uint64_t events_in(const proto::ResponsePart& part) const;
  void record_worker_error(uint32_t status, const std::string& code, const proto::Receipt* receipt = nullptr);
  void count_answer(const proto::Usage& usage, double total_ms);
  void offer_spot_check(uint64_t conn, const proto::ResponseEnd& end);
  // Hedging and timers (request_flow_hedge.cpp).
  void launch_hedge(int64_t now_us);
  // The attempt's stall limits in ms (0: off): max(floor, factor x its predicted first token).
  uint32_t first_token_limit_ms(const FlowAttempt& a) const;
  uint32_t hedge_delay_ms(const FlowAttempt& a) const;
  // True when the caller goes on with the frame as the primary's (the hedge won and was promoted).
  bool on_hedge_frame(proto::Frame& frame, int64_t now_us);
  void adopt_hedge(int64_t now_us);
  void drop_hedge(const std::string& cancel_reason);
  void on_first_token_timeout(int64_t now_us);
  void on_deadline(int64_t now_us);
  void on_queue_timeout(int64_t now_us);
  void arm(FlowTimer timer, int64_t at_us);
  void disarm(FlowTimer timer);
  void forget(const FlowAttempt& attempt);

  bool client_active() const {
    return phase_ == FlowPhase::Queued || phase_ == FlowPhase::Waiting || phase_ == FlowPhase::Streaming;
  }
  template <class Action>
  void emit(Action action) {
    out_.emplace_back(std::move(action));
  }
  FlowActions take() { return std::exchange(out_, {}); }

  uint64_t client_conn_;
  proto::InferenceRequest request_;
  RequestFacts facts_;
  FlowSettings settings_;
  RequestRouter& router_;
  RequestBiller& biller_;
  Metrics& metrics_;

  FlowPhase phase_ = FlowPhase::Idle;
  std::string client_contract_;
  int64_t started_us_ = 0, deadline_us_ = 0, first_token_us_ = 0;
  int64_t queued_us_ = 0;        // when it first waited for a slot (0: never)
  uint32_t retry_after_s_ = 0;   // said with the next error (429/503)
  bool head_sent_ = false;
  bool worker_answered_ = false;  // the answering worker sent its end or error: nothing to drain
  uint32_t attempts_ = 0;
  uint32_t seals_asked_ = 0;
  std::vector<uint64_t> tried_;
  FlowAttempt primary_;
  std::optional<FlowAttempt> hedge_;
  std::optional<FlowAttempt> draining_;  // the attempt whose usage the drain waits for
  uint64_t events_relayed_ = 0;          // what reached the client: the charge when the worker cannot tell
  uint64_t head_prompt_tokens_ = 0;      // the answering worker's count of the prompt (0: unknown)
  bool spot_due_ = false;                // drawn at start: the answer is to be rerun and compared
  std::vector<SpotSeal> spot_seals_;
  std::array<int64_t, kFlowTimerKinds> timers_{};  // 0: not armed
  FlowActions out_;
};

}  // namespace chrysalis::proxy
