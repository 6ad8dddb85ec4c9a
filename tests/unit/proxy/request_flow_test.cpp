// The proxy's request state machine, driven by hand with a fake clock: every path the
// integration tests exercise with real processes (worker killed before/after the first token,
// stall failover, hedges won and lost, cancels with the usage grace, engine errors with partial
// usage, billing refusals), without a socket or a timer.
#include <gtest/gtest.h>

#include "proxy/billing_peers.h"
#include "receipts/receipt.h"
#include "request_flow_fakes.h"

namespace chrysalis::proxy {
namespace {

using namespace testing;

constexpr int64_t kMs = 1000;

class RequestFlowTest : public ::testing::Test {
 protected:
  ScriptedRouter router;
  RecordingBiller biller;
  FreePeerBilling free_biller;
  Metrics metrics;
  int64_t now = 1'000'000'000;
  FlowSettings settings{.request_timeout_ms = 60'000, .max_retries = 2};

  void SetUp() override { router.workers = {FakeWorker{.conn = 1}, FakeWorker{.conn = 2}, FakeWorker{.conn = 3}}; }

  std::unique_ptr<RequestFlow> make(bool paid = false, bool deterministic = false) {
    proto::InferenceRequest request;
    request.set_request_id("r1");
    request.set_body(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
    request.set_max_tokens(16);
    request.set_max_coefficient(4000);
    request.set_prompt_tokens_estimate(7);
    RequestFacts facts{.model = "m", .prefix_hash = 0, .deterministic = deterministic};
    return std::make_unique<RequestFlow>(
        /*client_conn=*/100, request, facts, settings, router,
        paid ? static_cast<RequestBiller&>(biller) : static_cast<RequestBiller&>(free_biller), metrics);
  }

  // An e2e request: no body, what the client declared about it instead.
  std::unique_ptr<RequestFlow> make_e2e(bool deterministic = false) {
    proto::InferenceRequest request;
    request.set_request_id("r1");
    request.set_e2e(true);
    request.set_model("m");
    request.set_body_bytes(100);
    request.set_max_tokens(16);
    request.set_max_coefficient(4000);
    request.set_deterministic(deterministic);
    RequestFacts facts{.model = "m", .prefix_hash = 0, .deterministic = deterministic, .e2e = true};
    return std::make_unique<RequestFlow>(100, request, facts, settings, router, free_biller, metrics);
  }

  // The client's answer to a SealFor: a body of the declared size sealed (as far as the proxy can tell).
  static proto::SealedFor sealed_for(uint32_t attempt, std::size_t ciphertext = 116) {
    proto::SealedFor s;
    s.set_attempt(attempt);
    s.mutable_sealed()->set_enc(std::string(32, 'e'));
    s.mutable_sealed()->set_ciphertext(std::string(ciphertext, 'c'));
    return s;
  }

  // The attempt the flow just sent: (worker conn, stream).
  static std::pair<uint64_t, uint64_t> sent_to(const FlowActions& actions) {
    auto sends = all_of<SendToWorker>(actions);
    EXPECT_EQ(sends.size(), 1u);
    if (sends.empty()) return {0, 0};
    return {sends[0].worker_conn, sends[0].frame.stream()};
  }

  // The worker's head and a first part of `events` chunks: the client has its first tokens.
  static void first_tokens(RequestFlow& flow, uint64_t conn, uint64_t stream, int64_t at, int events = 1) {
    auto head = head_frame(stream);
    flow.on_worker_frame(conn, stream, head, at);
    auto part = part_frame(stream, "a", events);
    flow.on_worker_frame(conn, stream, part, at);
  }

  static std::vector<proto::Frame> to_client(const FlowActions& actions) {
    std::vector<proto::Frame> out;
    for (auto& s : all_of<SendToClient>(actions)) out.push_back(s.frame);
    return out;
  }
};

TEST_F(RequestFlowTest, AnswerIsRelayedWithTheHeadHeldUntilTheFirstToken) {
  auto flow = make();
  auto started = flow->start(now);
  auto [conn, stream] = sent_to(started);
  EXPECT_EQ(conn, 1u);
  EXPECT_TRUE(has<WatchStream>(started));
  EXPECT_EQ(all_of<SetTimer>(started).front().at_us, now + 60'000 * kMs);             // the deadline
  EXPECT_EQ(all_of<SendToWorker>(started)[0].frame.request().timeout_ms(), 57'000u);  // 95% of what is left
  EXPECT_EQ(router.workers[0].running, 1u);

  auto head = head_frame(stream);
  EXPECT_TRUE(to_client(flow->on_worker_frame(conn, stream, head, now += 5 * kMs)).empty());  // held back
  auto part = part_frame(stream, "Hel");
  auto relayed = to_client(flow->on_worker_frame(conn, stream, part, now += 5 * kMs));
  ASSERT_EQ(relayed.size(), 2u);
  EXPECT_TRUE(relayed[0].has_head());
  EXPECT_TRUE(relayed[1].has_part());
  EXPECT_EQ(flow->phase(), FlowPhase::Streaming);

  auto end = end_frame(stream, 7, 3);
  auto ended = flow->on_worker_frame(conn, stream, end, now += 10 * kMs);
  auto frames = to_client(ended);
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_TRUE(frames[0].has_end());
  EXPECT_EQ(frames[0].end().proxy().total_us(), 20 * kMs);
  EXPECT_EQ(frames[0].end().proxy().first_token_us(), 10 * kMs);
  EXPECT_EQ(all_of<ClientDone>(ended).at(0).outcome, "ok");
  EXPECT_TRUE(has<FlowDone>(ended));
  EXPECT_EQ(flow->phase(), FlowPhase::Done);
  ASSERT_EQ(router.answers.size(), 1u);
  EXPECT_EQ(router.answers[0].usage.completion_tokens(), 3u);
  EXPECT_DOUBLE_EQ(router.answers[0].attempt_ttft_ms, 10);
  EXPECT_EQ(router.workers[0].running, 0u);  // the slot is back
  EXPECT_EQ(metrics.get("requests", {{"outcome", "ok"}}), 1);
}

TEST_F(RequestFlowTest, MissingModelAndAStaleRegistryAreRefusedBeforeDispatch) {
  proto::InferenceRequest request;
  RequestFlow no_model(100, request, RequestFacts{}, settings, router, free_biller, metrics);
  auto refused = to_client(no_model.start(now));
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].error().http_status(), 400u);
  EXPECT_EQ(refused[0].error().code(), "missing_model");

  router.problem = "registry older than 300 s";
  auto flow = make();
  auto actions = flow->start(now);
  EXPECT_FALSE(has<SendToWorker>(actions));
  EXPECT_EQ(to_client(actions).at(0).error().http_status(), 503u);
  EXPECT_NE(to_client(actions).at(0).error().message().find("registry older"), std::string::npos);
}

TEST_F(RequestFlowTest, WorkerDiesBeforeTheFirstTokenAndAnotherWorkerAnswers) {
  auto flow = make();
  auto [conn, stream] = sent_to(flow->start(now));
  router.disconnect(conn);
  auto actions = flow->on_worker_gone(conn, "connection reset", now += kMs);
  auto [conn2, stream2] = sent_to(actions);
  EXPECT_EQ(conn2, 2u);
  EXPECT_TRUE(to_client(actions).empty());  // the client saw nothing of it
  EXPECT_EQ(flow->attempts(), 2u);
  EXPECT_EQ(metrics.get("retries"), 1);
  ASSERT_EQ(router.records.size(), 1u);
  EXPECT_EQ(router.records[0].outcome, Outcome::ErrorBeforeFirstToken);

  auto head = head_frame(stream2);
  flow->on_worker_frame(conn2, stream2, head, now);
  auto part = part_frame(stream2, "x");
  EXPECT_EQ(to_client(flow->on_worker_frame(conn2, stream2, part, now)).size(), 2u);
}

TEST_F(RequestFlowTest, WorkerDiesAfterTheFirstTokenAndTheClientGetsAnError) {
  auto flow = make();
  auto [conn, stream] = sent_to(flow->start(now));
  first_tokens(*flow, conn, stream, now);
  router.disconnect(conn);
  auto actions = flow->on_worker_gone(conn, "killed", now += kMs);
  EXPECT_FALSE(has<SendToWorker>(actions));  // no retry once the client has tokens
  auto frames = to_client(actions);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].error().http_status(), 502u);
  EXPECT_EQ(frames[0].error().code(), "worker_disconnected");
  EXPECT_EQ(router.records.at(0).outcome, Outcome::ErrorAfterFirstToken);
  EXPECT_EQ(flow->phase(), FlowPhase::Done);
}

TEST_F(RequestFlowTest, AWorkerThatVanishesMidAnswerIsPaidWhatReachedTheClientAndTheAnswerCanBeContinued) {
  auto flow = make(/*paid=*/true);
  auto [conn, stream] = sent_to(flow->start(now));
  auto head = head_frame(stream, /*prompt_tokens=*/5);
  flow->on_worker_frame(conn, stream, head, now);
  auto part = part_frame(stream, "a", 10);
  flow->on_worker_frame(conn, stream, part, now);
  router.disconnect(conn);
  auto actions = flow->on_worker_gone(conn, "killed", now += kMs);
  auto frames = to_client(actions);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].error().code(), "worker_disconnected");
  EXPECT_EQ(frames[0].error().usage().completion_tokens(), 10u);
  EXPECT_EQ(frames[0].error().usage().prompt_tokens(), 5u);  // the worker's count from its head
  EXPECT_EQ(frames[0].error().billing().charged_tokens(), 15u);
  ASSERT_TRUE(biller.charged.at(1));
  EXPECT_EQ(biller.charged.at(1)->completion_tokens(), 10u);
  auto remembered = all_of<RememberResumable>(actions);
  ASSERT_EQ(remembered.size(), 1u);
  EXPECT_EQ(remembered[0].failed_workers, std::vector<uint64_t>{conn});
  EXPECT_EQ(remembered[0].resumes, 0u);
}

TEST_F(RequestFlowTest, AContinuationAvoidsTheFailedWorkersAndIsChargedNoPrompt) {
  proto::InferenceRequest request;
  request.set_request_id("r1+r1");
  request.set_resume_of("r1");
  request.set_body(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
  request.set_max_tokens(16);
  request.set_max_coefficient(4000);
  request.set_prompt_tokens_estimate(9);
  RequestFacts facts{.model = "m", .resumed = true, .resumes = 1, .failed_workers = {1}};
  auto flow = std::make_unique<RequestFlow>(100, request, facts, settings, router, biller, metrics);
  auto [conn, stream] = sent_to(flow->start(now));
  EXPECT_NE(conn, 1u);
  auto head = head_frame(stream, 9);
  flow->on_worker_frame(conn, stream, head, now);
  auto part = part_frame(stream, "b", 6);
  flow->on_worker_frame(conn, stream, part, now);
  auto end = end_frame(stream, 9, 6);
  auto actions = flow->on_worker_frame(conn, stream, end, now);
  auto settle = all_of<SettleThenSend>(actions);
  ASSERT_EQ(settle.size(), 1u);
  EXPECT_EQ(settle[0].usage.prompt_tokens(), 0u);  // paid with the answer's first part
  EXPECT_EQ(settle[0].usage.completion_tokens(), 6u);

  // A continuation that fails in turn can be continued once more: it says how often it was.
  auto again = std::make_unique<RequestFlow>(100, request, facts, settings, router, biller, metrics);
  auto [c2, s2] = sent_to(again->start(now));
  auto h2 = head_frame(s2, 9);
  again->on_worker_frame(c2, s2, h2, now);
  auto p2 = part_frame(s2, "b", 2);
  again->on_worker_frame(c2, s2, p2, now);
  router.disconnect(c2);
  auto gone = again->on_worker_gone(c2, "killed", now);
  EXPECT_EQ(to_client(gone).at(0).error().usage().prompt_tokens(), 0u);
  auto remembered = all_of<RememberResumable>(gone);
  ASSERT_EQ(remembered.size(), 1u);
  EXPECT_EQ(remembered[0].resumes, 1u);
  EXPECT_EQ(remembered[0].failed_workers, (std::vector<uint64_t>{1, c2}));
}

TEST_F(RequestFlowTest, RetriesStopAtTheLimitWithTheLastError) {
  settings.max_retries = 1;
  auto flow = make();
  auto [c1, s1] = sent_to(flow->start(now));
  auto e1 = error_frame(s1, 503, "engine_unavailable");
  auto [c2, s2] = sent_to(flow->on_worker_frame(c1, s1, e1, now));
  auto e2 = error_frame(s2, 503, "engine_unavailable");
  auto actions = flow->on_worker_frame(c2, s2, e2, now);
  EXPECT_FALSE(has<SendToWorker>(actions));
  EXPECT_EQ(to_client(actions).at(0).error().code(), "engine_unavailable");
  EXPECT_EQ(to_client(actions).at(0).error().type(), "upstream_error");
  EXPECT_EQ(router.failures, (std::vector<uint64_t>{1, 2}));
}

TEST_F(RequestFlowTest, AClientErrorIsPassedOnWithoutRetryOrReputationLoss) {
  auto flow = make();
  auto [conn, stream] = sent_to(flow->start(now));
  auto e = error_frame(stream, 400, "context_length_exceeded");
  auto actions = flow->on_worker_frame(conn, stream, e, now);
  EXPECT_FALSE(has<SendToWorker>(actions));
  EXPECT_EQ(to_client(actions).at(0).error().http_status(), 400u);
  EXPECT_TRUE(router.records.empty());
}

TEST_F(RequestFlowTest, AStalledWorkerIsCancelledAndTheRequestFailsOver) {
  settings.first_token_timeout_ms = 2000;
  auto flow = make();
  auto started = flow->start(now);
  auto [conn, stream] = sent_to(started);
  auto timers = all_of<SetTimer>(started);
  ASSERT_EQ(timers.size(), 2u);
  EXPECT_EQ(timers[1].timer, FlowTimer::FirstToken);
  EXPECT_EQ(timers[1].at_us, now + 2000 * kMs);

  EXPECT_TRUE(flow->on_timer(FlowTimer::FirstToken, now + 1999 * kMs).empty());  // a wake-up too early does nothing
  auto actions = flow->on_timer(FlowTimer::FirstToken, now + 2000 * kMs);
  auto cancels = all_of<CancelOnWorker>(actions);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].worker_conn, conn);
  EXPECT_EQ(cancels[0].stream, stream);
  EXPECT_EQ(sent_to(actions).first, 2u);
  EXPECT_EQ(router.records.at(0).outcome, Outcome::Timeout);
  EXPECT_EQ(metrics.get("first_token_timeouts"), 1);
  // Late frames of the stalled attempt no longer belong to the request.
  auto late = part_frame(stream, "late");
  EXPECT_TRUE(to_client(flow->on_worker_frame(conn, stream, late, now)).empty());
}

TEST_F(RequestFlowTest, StallLimitsScaleWithTheWorkersPredictedFirstToken) {
  // A long prompt on a worker expected to need 3 s for its first token: the floors (2 s, 0.5 s)
  // would cancel or duplicate every such request; the limits become 4x and 2x the prediction.
  settings.first_token_timeout_ms = 2000;
  settings.hedge_after_ms = 500;
  router.workers[0].predicted_ttft_ms = 3000;
  auto flow = make();
  auto timers = all_of<SetTimer>(flow->start(now));
  auto at = [&](FlowTimer t) {
    for (auto& s : timers)
      if (s.timer == t) return s.at_us;
    return int64_t{-1};
  };
  EXPECT_EQ(at(FlowTimer::FirstToken), now + 12'000 * kMs);
  EXPECT_EQ(at(FlowTimer::Hedge), now + 6'000 * kMs);
  EXPECT_TRUE(to_client(flow->on_timer(FlowTimer::FirstToken, now + 11'999 * kMs)).empty());

  // A quick worker keeps the floors.
  router.workers[0].predicted_ttft_ms = 100;
  auto quick = make();
  timers = all_of<SetTimer>(quick->start(now));
  EXPECT_EQ(at(FlowTimer::FirstToken), now + 2000 * kMs);
  EXPECT_EQ(at(FlowTimer::Hedge), now + 500 * kMs);
}

TEST_F(RequestFlowTest, AStallOnTheLastWorkerFailsWith504) {
  settings.first_token_timeout_ms = 2000;
  settings.max_retries = 0;
  auto flow = make();
  flow->start(now);
  auto actions = flow->on_timer(FlowTimer::FirstToken, now + 2000 * kMs);
  EXPECT_EQ(to_client(actions).at(0).error().code(), "first_token_timeout");
  EXPECT_EQ(to_client(actions).at(0).error().http_status(), 504u);
}

TEST_F(RequestFlowTest, AHedgeThatAnswersFirstWinsAndThePrimaryIsCancelled) {
  settings.hedge_after_ms = 500;
  auto flow = make(/*paid=*/true);
  auto [c1, s1] = sent_to(flow->start(now));
  auto launched = flow->on_timer(FlowTimer::Hedge, now += 500 * kMs);
  auto [c2, s2] = sent_to(launched);
  EXPECT_EQ(c2, 2u);
  ASSERT_TRUE(flow->hedge());
  EXPECT_EQ(biller.held(), 2u);  // each attempt holds the worst case
  EXPECT_EQ(metrics.get("hedges", {{"outcome", "launched"}}), 1);

  auto head = head_frame(s2);
  flow->on_worker_frame(c2, s2, head, now);
  auto part = part_frame(s2, "fast");
  auto actions = flow->on_worker_frame(c2, s2, part, now += kMs);
  auto cancels = all_of<CancelOnWorker>(actions);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].worker_conn, c1);
  EXPECT_EQ(cancels[0].reason, "a hedged duplicate answered first");
  EXPECT_EQ(to_client(actions).size(), 2u);
  EXPECT_EQ(flow->primary().conn, c2);
  EXPECT_FALSE(flow->hedge());
  EXPECT_EQ(biller.charged.at(1), std::nullopt);  // the loser's hold is released uncharged
  EXPECT_EQ(metrics.get("hedges", {{"outcome", "won"}}), 1);
  EXPECT_EQ(router.records.at(0).key, ScriptedRouter::key_for(c1));
  EXPECT_EQ(router.records.at(0).outcome, Outcome::Timeout);

  auto end = end_frame(s2, 7, 1);
  auto ended = flow->on_worker_frame(c2, s2, end, now);
  auto settle = all_of<SettleThenSend>(ended);
  ASSERT_EQ(settle.size(), 1u);  // paid: the end waits for its settlement
  EXPECT_EQ(settle[0].reservation, 2u);
  EXPECT_TRUE(to_client(ended).empty());
}

TEST_F(RequestFlowTest, AHedgeThatLosesIsCancelledAndNeverBilled) {
  settings.hedge_after_ms = 500;
  auto flow = make(/*paid=*/true);
  auto [c1, s1] = sent_to(flow->start(now));
  auto [c2, s2] = sent_to(flow->on_timer(FlowTimer::Hedge, now += 500 * kMs));
  auto head = head_frame(s1);
  flow->on_worker_frame(c1, s1, head, now);
  auto part = part_frame(s1, "first");
  auto actions = flow->on_worker_frame(c1, s1, part, now);
  auto cancels = all_of<CancelOnWorker>(actions);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].worker_conn, c2);
  EXPECT_EQ(cancels[0].reason, "the other worker answered first");
  auto forgotten = all_of<ForgetStream>(actions);
  ASSERT_EQ(forgotten.size(), 1u);
  EXPECT_EQ(forgotten[0].stream, s2);
  EXPECT_EQ(biller.charged.at(2), std::nullopt);
  EXPECT_EQ(router.workers[1].running, 0u);
}

TEST_F(RequestFlowTest, NoHedgeWhenTheClientsFundsCoverOneAttempt) {
  settings.hedge_after_ms = 500;
  biller.funds_for = 1;
  auto flow = make(/*paid=*/true);
  flow->start(now);
  auto actions = flow->on_timer(FlowTimer::Hedge, now + 500 * kMs);
  EXPECT_FALSE(has<SendToWorker>(actions));
  EXPECT_EQ(metrics.get("hedges", {{"outcome", "no_funds"}}), 1);
}

TEST_F(RequestFlowTest, APrimaryErrorWhileHedgedPromotesTheHedge) {
  settings.hedge_after_ms = 500;
  auto flow = make();
  auto [c1, s1] = sent_to(flow->start(now));
  auto [c2, s2] = sent_to(flow->on_timer(FlowTimer::Hedge, now += 500 * kMs));
  auto e = error_frame(s1, 500, "engine_error");
  auto actions = flow->on_worker_frame(c1, s1, e, now);
  EXPECT_TRUE(to_client(actions).empty());
  EXPECT_FALSE(has<SendToWorker>(actions));  // no third attempt: the hedge is already running
  EXPECT_EQ(flow->primary().conn, c2);
  EXPECT_EQ(flow->primary().stream, s2);
}

TEST_F(RequestFlowTest, ACancelMidAnswerHoldsTheReservationUntilTheWorkerReportsUsage) {
  auto flow = make(/*paid=*/true);
  auto [conn, stream] = sent_to(flow->start(now));
  auto head = head_frame(stream, 9);
  flow->on_worker_frame(conn, stream, head, now);
  ASSERT_EQ(biller.shrunk.size(), 1u);  // the hold shrinks to the tokenized prompt
  EXPECT_EQ(biller.shrunk[0].second, 9u);
  auto part = part_frame(stream, "a", 2);
  flow->on_worker_frame(conn, stream, part, now);

  auto cancelled = flow->on_client_cancel("user pressed stop", now += kMs);
  EXPECT_EQ(all_of<CancelOnWorker>(cancelled).at(0).reason, "user pressed stop");
  EXPECT_EQ(all_of<ClientDone>(cancelled).at(0).outcome, "cancelled");
  EXPECT_FALSE(has<FlowDone>(cancelled));
  EXPECT_EQ(flow->phase(), FlowPhase::Draining);
  auto grace = all_of<SetTimer>(cancelled);
  ASSERT_EQ(grace.size(), 1u);
  EXPECT_EQ(grace[0].timer, FlowTimer::DrainGrace);
  EXPECT_EQ(grace[0].at_us, now + 10'000 * kMs);
  EXPECT_EQ(biller.held(), 1u);

  // What was in flight still reaches the client, which waits for the receipt that covers it.
  auto more = part_frame(stream, "b");
  auto late = to_client(flow->on_worker_frame(conn, stream, more, now));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_TRUE(late[0].has_part());
  auto end = end_frame(stream, 9, 4);
  auto drained = flow->on_worker_frame(conn, stream, end, now += kMs);
  EXPECT_TRUE(to_client(drained).empty()) << "no receipt in this end: nothing more for the client";
  EXPECT_TRUE(has<FlowDone>(drained));
  EXPECT_TRUE(has<PaymentsChanged>(drained));
  ASSERT_TRUE(biller.charged.at(1));
  EXPECT_EQ(biller.charged.at(1)->completion_tokens(), 4u);  // what the worker produced, not what was relayed
  EXPECT_EQ(biller.held(), 0u);
}

TEST_F(RequestFlowTest, ADrainWithoutAReportChargesWhatWasRelayedAfterTheGrace) {
  auto flow = make(/*paid=*/true);
  auto [conn, stream] = sent_to(flow->start(now));
  first_tokens(*flow, conn, stream, now, 3);
  flow->on_client_cancel("client disconnected", now);
  EXPECT_TRUE(flow->on_timer(FlowTimer::DrainGrace, now + 9'999 * kMs).empty());
  auto drained = flow->on_timer(FlowTimer::DrainGrace, now + 10'000 * kMs);
  EXPECT_TRUE(has<FlowDone>(drained));
  ASSERT_TRUE(biller.charged.at(1));
  EXPECT_EQ(biller.charged.at(1)->completion_tokens(), 3u);
  EXPECT_EQ(biller.charged.at(1)->prompt_tokens(), 7u);  // the request's prompt estimate
}

TEST_F(RequestFlowTest, ADrainEndsWithRelayedUsageWhenTheWorkerGoes) {
  auto flow = make(/*paid=*/true);
  auto [conn, stream] = sent_to(flow->start(now));
  first_tokens(*flow, conn, stream, now, 2);
  flow->on_client_cancel("client disconnected", now);
  router.disconnect(conn);
  auto gone = flow->on_worker_gone(conn, "killed", now);
  EXPECT_TRUE(has<FlowDone>(gone));
  EXPECT_EQ(biller.charged.at(1)->completion_tokens(), 2u);
}

TEST_F(RequestFlowTest, ACancelBeforeTheFirstTokenReleasesTheHoldUncharged) {
  auto flow = make(/*paid=*/true);
  auto [conn, stream] = sent_to(flow->start(now));
  auto actions = flow->on_client_cancel("client disconnected", now);
  EXPECT_TRUE(has<FlowDone>(actions));
  EXPECT_EQ(all_of<CancelOnWorker>(actions).at(0).stream, stream);
  EXPECT_EQ(biller.charged.at(1), std::nullopt);
  EXPECT_EQ(router.workers[0].running, 0u);
}

TEST_F(RequestFlowTest, AnEngineErrorAfterTokensChargesItsPartialUsage) {
  auto flow = make(/*paid=*/true);
  auto [conn, stream] = sent_to(flow->start(now));
  first_tokens(*flow, conn, stream, now, 5);
  auto e = error_frame(stream, 500, "engine_crashed", /*completion=*/5);
  auto actions = flow->on_worker_frame(conn, stream, e, now);
  auto frames = to_client(actions);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].error().code(), "engine_crashed");
  EXPECT_EQ(frames[0].error().usage().completion_tokens(), 5u);
  EXPECT_EQ(frames[0].error().billing().charged_tokens(), 15u);  // the biller's figure reaches the client
  EXPECT_EQ(biller.charged.at(1)->completion_tokens(), 5u);
  EXPECT_TRUE(has<FlowDone>(actions));  // the error carried the usage: nothing to drain
}

TEST_F(RequestFlowTest, BillingRefusalsReachTheClientWithTheirStatus) {
  biller.admit_refusal = {402, "billing_error", "payment_required", "no wallet named"};
  auto flow = make(/*paid=*/true);
  auto actions = flow->start(now);
  EXPECT_FALSE(has<SendToWorker>(actions));
  EXPECT_EQ(to_client(actions).at(0).error().http_status(), 402u);
  EXPECT_EQ(to_client(actions).at(0).error().code(), "payment_required");

  biller.admit_refusal = {};
  biller.funds_for = 0;
  auto poor = make(/*paid=*/true);
  auto refused = poor->start(now);
  EXPECT_FALSE(has<SendToWorker>(refused));
  EXPECT_EQ(to_client(refused).at(0).error().code(), "insufficient_funds");
  EXPECT_EQ(router.workers[0].running, 0u);  // no slot taken for a request that cannot pay
}

TEST_F(RequestFlowTest, TheDeadlineCancelsTheWorkerAndAnswers504) {
  auto flow = make(/*paid=*/true);
  auto [conn, stream] = sent_to(flow->start(now));
  first_tokens(*flow, conn, stream, now);
  auto actions = flow->on_timer(FlowTimer::Deadline, now + 60'000 * kMs);
  EXPECT_EQ(all_of<CancelOnWorker>(actions).at(0).reason, "timeout in proxy");
  EXPECT_EQ(to_client(actions).at(0).error().http_status(), 504u);
  EXPECT_EQ(flow->phase(), FlowPhase::Draining);  // the worker still says what it produced
}

TEST_F(RequestFlowTest, APartBeforeTheHeadClosesTheWorker) {
  auto flow = make();
  auto [conn, stream] = sent_to(flow->start(now));
  auto part = part_frame(stream, "x");
  auto actions = flow->on_worker_frame(conn, stream, part, now);
  auto closes = all_of<CloseWorker>(actions);
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].worker_conn, conn);
  EXPECT_TRUE(to_client(actions).empty());
}

// The end of an answer carrying the worker's signed receipt with `spot_hash`.
proto::Frame signed_end_frame(uint64_t stream, const std::string& spot_hash) {
  static const auto key = ton::Ed25519Key::generate();
  auto end = end_frame(stream, 1, 1);
  proto::WorkerReceipt r;
  r.set_request_id("r1");
  *r.mutable_usage() = end.end().usage();
  r.set_spot_hash(spot_hash);
  r.set_worker_key(std::string(key.public_key().begin(), key.public_key().end()));
  *end.mutable_end()->mutable_receipt() = receipts::sign_worker_part(r, key);
  return end;
}

TEST_F(RequestFlowTest, ADeterministicAnswerIsOfferedForASpotCheckWithTheHashItsWorkerSigned) {
  router.spot_due = true;
  auto flow = make(/*paid=*/false, /*deterministic=*/true);
  auto [conn, stream] = sent_to(flow->start(now));
  first_tokens(*flow, conn, stream, now);
  auto end = signed_end_frame(stream, "spot-hash-1");
  flow->on_worker_frame(conn, stream, end, now);
  ASSERT_EQ(router.spot_offers.size(), 1u);
  const SpotOffer& offer = router.spot_offers[0];
  EXPECT_EQ(offer.spot_hash, "spot-hash-1");
  EXPECT_EQ(offer.worker_conn, conn);
  EXPECT_EQ(offer.model, "m");
  EXPECT_FALSE(offer.request.body().empty()) << "a plaintext rerun goes to any worker";
  EXPECT_TRUE(offer.sealed.empty());
  // The verified receipt goes with the outcome and the offer: reputation's evidence.
  EXPECT_FALSE(offer.receipt.worker_signature().empty());
  ASSERT_EQ(router.answers.size(), 1u);
  ASSERT_TRUE(router.answers[0].receipt.has_value());
  EXPECT_EQ(router.answers[0].receipt->worker(), offer.receipt.worker());
  EXPECT_EQ(router.answers[0].request_id, "r1");
}

TEST_F(RequestFlowTest, AnAnswerWithoutASignedSpotHashIsNotOffered) {
  router.spot_due = true;
  auto flow = make(/*paid=*/false, /*deterministic=*/true);
  auto [conn, stream] = sent_to(flow->start(now));
  first_tokens(*flow, conn, stream, now);
  auto end = end_frame(stream, 1, 1);
  flow->on_worker_frame(conn, stream, end, now);
  EXPECT_TRUE(router.spot_offers.empty());
  EXPECT_EQ(metrics.get("spot_checks", {{"outcome", "unsigned"}}), 1);
  ASSERT_EQ(router.answers.size(), 1u);
  EXPECT_FALSE(router.answers[0].receipt.has_value()) << "no receipt: reputation counts no success";
}

TEST_F(RequestFlowTest, ASpotCheckNotDrawnAsksNoExtraSeal) {
  auto flow = make_e2e(/*deterministic=*/true);
  EXPECT_EQ(to_client(flow->start(now)).size(), 1u);
  EXPECT_TRUE(flow->spot_seals().empty());
}

// E2E: the proxy cannot rerun what it cannot read, so the client seals for the spot workers with
// the first attempt; a worker it refuses is simply not used, and the request goes on.
TEST_F(RequestFlowTest, E2eSpotCheckAsksTheClientToSealForTwoMoreWorkersUpFront) {
  router.spot_due = true;
  auto flow = make_e2e(/*deterministic=*/true);
  auto asks = to_client(flow->start(now));
  ASSERT_EQ(asks.size(), 3u);
  EXPECT_EQ(asks[0].seal_for().worker_certificate(), "cert-1") << "the answering attempt first";
  EXPECT_EQ(asks[1].seal_for().worker_certificate(), "cert-2");
  EXPECT_EQ(asks[2].seal_for().worker_certificate(), "cert-3");
  EXPECT_EQ(router.workers[1].running, 0u) << "a spot seal takes no slot";

  EXPECT_FALSE(has<SendToWorker>(flow->on_client_sealed(sealed_for(asks[1].seal_for().attempt()), now)));
  proto::SealedFor refused;
  refused.set_attempt(asks[2].seal_for().attempt());
  refused.set_refused("attestation check 'image_hash' failed");
  EXPECT_TRUE(flow->on_client_sealed(refused, now).empty());
  EXPECT_EQ(metrics.get("spot_seals", {{"outcome", "refused_by_client"}}), 1);
  EXPECT_TRUE(router.records.empty());

  auto [conn, stream] = sent_to(flow->on_client_sealed(sealed_for(asks[0].seal_for().attempt()), now));
  EXPECT_EQ(conn, 1u);
  first_tokens(*flow, conn, stream, now);
  auto end = signed_end_frame(stream, "h");
  flow->on_worker_frame(conn, stream, end, now);
  ASSERT_EQ(router.spot_offers.size(), 1u);
  const SpotOffer& offer = router.spot_offers[0];
  ASSERT_EQ(offer.sealed.size(), 1u) << "only the worker the client sealed for";
  EXPECT_EQ(offer.sealed[0].worker_conn, 2u);
  EXPECT_EQ(offer.sealed[0].sealed.ciphertext().size(), 116u);
  EXPECT_TRUE(offer.request.e2e());
}

TEST_F(RequestFlowTest, E2eSpotRerunNeverGoesToTheWorkerThatAnswered) {
  router.spot_due = true;
  auto flow = make_e2e(/*deterministic=*/true);
  auto asks = to_client(flow->start(now));
  ASSERT_EQ(asks.size(), 3u);
  for (int i : {1, 2}) flow->on_client_sealed(sealed_for(asks[i].seal_for().attempt()), now);
  // The client refuses worker 1 for the answer itself: the request fails over to worker 2.
  proto::SealedFor refused;
  refused.set_attempt(asks[0].seal_for().attempt());
  refused.set_refused("model_hash");
  auto retry = to_client(flow->on_client_sealed(refused, now));
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].seal_for().worker_certificate(), "cert-2");
  auto [conn, stream] = sent_to(flow->on_client_sealed(sealed_for(retry[0].seal_for().attempt()), now));
  EXPECT_EQ(conn, 2u);
  first_tokens(*flow, conn, stream, now);
  auto end = signed_end_frame(stream, "h");
  flow->on_worker_frame(conn, stream, end, now);
  ASSERT_EQ(router.spot_offers.size(), 1u);
  ASSERT_EQ(router.spot_offers[0].sealed.size(), 1u);
  EXPECT_EQ(router.spot_offers[0].sealed[0].worker_conn, 3u);
}

TEST_F(RequestFlowTest, EventsAfterTheEndChangeNothing) {
  auto flow = make();
  auto [conn, stream] = sent_to(flow->start(now));
  auto head = head_frame(stream);
  flow->on_worker_frame(conn, stream, head, now);
  auto end = end_frame(stream, 1, 0);
  flow->on_worker_frame(conn, stream, end, now);
  EXPECT_TRUE(flow->on_client_cancel("late", now).empty());
  EXPECT_TRUE(flow->on_timer(FlowTimer::Deadline, now + 60'000 * kMs).empty());
  EXPECT_TRUE(flow->on_worker_gone(conn, "gone", now).empty());
  EXPECT_EQ(metrics.get("requests", {{"outcome", "ok"}}), 1);
}

TEST_F(RequestFlowTest, AWorkersInflatedUsageIsClampedToWhatWasReserved) {
  auto flow = make(/*paid=*/true);
  auto [conn, stream] = sent_to(flow->start(now));
  const uint64_t prompt_bound = 57 + 128;  // the body's bytes + chat framing
  auto head = head_frame(stream, /*prompt_tokens=*/1'000'000'000);
  flow->on_worker_frame(conn, stream, head, now);
  ASSERT_EQ(biller.shrunk.size(), 1u);
  EXPECT_EQ(biller.shrunk[0].second, prompt_bound);
  auto part = part_frame(stream, "a");
  flow->on_worker_frame(conn, stream, part, now);
  auto end = end_frame(stream, /*prompt=*/1'000'000'000, /*completion=*/1'000'000);
  end.mutable_end()->mutable_usage()->set_cached_tokens(2'000'000'000);
  auto settled = all_of<SettleThenSend>(flow->on_worker_frame(conn, stream, end, now));
  ASSERT_EQ(settled.size(), 1u);
  EXPECT_EQ(settled[0].usage.prompt_tokens(), prompt_bound);
  EXPECT_EQ(settled[0].usage.cached_tokens(), prompt_bound);
  EXPECT_EQ(settled[0].usage.completion_tokens(), 16u);  // max_tokens
  EXPECT_EQ(metrics.get("worker_claims_clamped", {}), 2);
}

TEST_F(RequestFlowTest, E2eAsksTheClientToSealForTheChosenWorkerBeforeSendingIt) {
  auto flow = make_e2e();
  auto started = flow->start(now);
  EXPECT_FALSE(has<SendToWorker>(started)) << "nothing goes to a worker before the client sealed it";
  auto asks = to_client(started);
  ASSERT_EQ(asks.size(), 1u);
  ASSERT_TRUE(asks[0].has_seal_for());
  EXPECT_EQ(asks[0].seal_for().worker_certificate(), "cert-1");
  uint32_t attempt = asks[0].seal_for().attempt();

  EXPECT_TRUE(flow->on_client_sealed(sealed_for(attempt + 5), now).empty()) << "an attempt never asked for";
  auto sent = flow->on_client_sealed(sealed_for(attempt), now += kMs);
  auto [conn, stream] = sent_to(sent);
  EXPECT_EQ(conn, 1u);
  auto sends = all_of<SendToWorker>(sent);
  const auto& request = sends.at(0).frame.request();
  EXPECT_TRUE(request.e2e());
  EXPECT_TRUE(request.body().empty());
  EXPECT_EQ(request.sealed().ciphertext().size(), 116u);
  EXPECT_TRUE(flow->on_client_sealed(sealed_for(attempt), now).empty()) << "a second seal for the same attempt";

  auto head = head_frame(stream);
  flow->on_worker_frame(conn, stream, head, now);
  proto::Frame part;
  part.set_stream(stream);
  part.mutable_part()->set_sealed(std::string(64, 's'));
  part.mutable_part()->set_event_count(1000);  // more than 64 sealed bytes can hold
  auto relayed = to_client(flow->on_worker_frame(conn, stream, part, now));
  ASSERT_EQ(relayed.size(), 2u);
  EXPECT_EQ(relayed[0].head().attempt(), attempt) << "the head names the sealed exchange that answers";
  EXPECT_EQ(relayed[1].part().sealed(), std::string(64, 's'));
  router.disconnect(conn);
  auto drained = flow->on_worker_gone(conn, "killed", now);
  EXPECT_TRUE(has<FlowDone>(drained));
}

TEST_F(RequestFlowTest, E2eWorkerTheClientRefusesIsReplacedWithoutBlamingIt) {
  auto flow = make_e2e();
  uint32_t first = to_client(flow->start(now)).at(0).seal_for().attempt();
  proto::SealedFor refused;
  refused.set_attempt(first);
  refused.set_refused("attestation check 'image_hash' failed");
  auto actions = flow->on_client_sealed(refused, now);
  auto asks = to_client(actions);
  ASSERT_EQ(asks.size(), 1u);
  EXPECT_EQ(asks[0].seal_for().worker_certificate(), "cert-2") << "the next worker is offered";
  EXPECT_TRUE(router.records.empty()) << "the worker's reputation is untouched";
  EXPECT_EQ(metrics.get("e2e_workers_refused_by_client"), 1);

  // Refused everywhere: the client learns why.
  for (int i = 0; i < 2; ++i) {
    refused.set_attempt(asks.at(0).seal_for().attempt());
    asks = to_client(flow->on_client_sealed(refused, now));
  }
  ASSERT_EQ(asks.size(), 1u);
  ASSERT_TRUE(asks[0].has_error());
  EXPECT_EQ(asks[0].error().code(), "worker_refused_by_client");
  EXPECT_NE(asks[0].error().message().find("image_hash"), std::string::npos);
}

TEST_F(RequestFlowTest, E2eSealedBodyOfAnotherSizeThanDeclaredIsRefused) {
  auto flow = make_e2e();
  uint32_t attempt = to_client(flow->start(now)).at(0).seal_for().attempt();
  auto actions = flow->on_client_sealed(sealed_for(attempt, 50), now);
  EXPECT_FALSE(has<SendToWorker>(actions));
  auto out = to_client(actions);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].error().code(), "invalid_sealed_body");
  EXPECT_EQ(router.workers[0].running, 0u);
}

TEST_F(RequestFlowTest, E2eWorkerErrorCarriesItsSealedAccountToTheClient) {
  auto flow = make_e2e();
  uint32_t attempt = to_client(flow->start(now)).at(0).seal_for().attempt();
  auto [conn, stream] = sent_to(flow->on_client_sealed(sealed_for(attempt), now));
  proto::Frame error;
  error.set_stream(stream);
  error.mutable_error()->set_http_status(400);
  error.mutable_error()->set_code("engine_error");
  error.mutable_error()->set_sealed_final("sealed-final");
  auto out = to_client(flow->on_worker_frame(conn, stream, error, now));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].error().sealed_final(), "sealed-final");
}

// Every worker busy: the request waits for a slot instead of being refused, takes no reservation
// while it waits, and is dispatched when the node admits it.
TEST_F(RequestFlowTest, ARequestFindingEveryWorkerBusyWaitsForASlotAndHoldsNothingMeanwhile) {
  router.fill_all();
  auto flow = make(/*paid=*/true);
  auto started = flow->start(now);
  EXPECT_EQ(flow->phase(), FlowPhase::Queued);
  EXPECT_FALSE(has<SendToWorker>(started));
  EXPECT_TRUE(to_client(started).empty()) << "nothing for the client yet: it waits";
  auto queued = all_of<Enqueue>(started);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].model, "m");
  EXPECT_EQ(queued[0].remaining_ms, 60'000u);
  EXPECT_EQ(biller.held(), 0u) << "the reservation is taken at dispatch, not while waiting";

  // Admitted while still full: it stays queued and asks for nothing new.
  auto again = flow->on_admitted(now += 100 * kMs);
  EXPECT_EQ(flow->phase(), FlowPhase::Queued);
  EXPECT_TRUE(all_of<Enqueue>(again).empty());

  router.workers[1].running = 0;  // a slot frees
  auto admitted = flow->on_admitted(now += 400 * kMs);
  auto [conn, stream] = sent_to(admitted);
  EXPECT_EQ(conn, 2u);
  EXPECT_EQ(flow->phase(), FlowPhase::Waiting);
  EXPECT_EQ(biller.held(), 1u);
  EXPECT_EQ(metrics.get("queued"), 1);
  EXPECT_TRUE(has<ClearTimer>(admitted)) << "the queue's own time limit is off once dispatched";
}

TEST_F(RequestFlowTest, AQueueThatWillNotTakeItOrAWaitTooLongIs429WithRetryAfter) {
  router.fill_all();
  auto refused_flow = make();
  refused_flow->start(now);
  auto refused = to_client(refused_flow->on_queue_refused(429, "queue_full", "the queue holds 256", 7, now));
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].error().http_status(), 429u);
  EXPECT_EQ(refused[0].error().code(), "queue_full");
  EXPECT_EQ(refused[0].error().retry_after_s(), 7u);
  EXPECT_EQ(refused_flow->phase(), FlowPhase::Done);

  settings.queue_max_wait_ms = 5'000;
  auto waiting = make();
  auto started = waiting->start(now);
  auto timers = all_of<SetTimer>(started);
  auto wait = std::find_if(timers.begin(), timers.end(), [](auto& t) { return t.timer == FlowTimer::QueueWait; });
  ASSERT_NE(wait, timers.end());
  EXPECT_EQ(wait->at_us, now + 5'000 * kMs);
  auto timed_out = waiting->on_timer(FlowTimer::QueueWait, now + 5'000 * kMs);
  auto frames = to_client(timed_out);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].error().http_status(), 429u);
  EXPECT_EQ(frames[0].error().code(), "all_workers_busy");
  EXPECT_EQ(frames[0].error().retry_after_s(), 1u);
  EXPECT_NE(frames[0].error().message().find("stayed busy for the 5000 ms"), std::string::npos);
  EXPECT_TRUE(has<LeaveQueue>(timed_out)) << "its place in line is given up";
}

TEST_F(RequestFlowTest, AQueuedRequestCancelledByItsClientLeavesTheQueue) {
  router.fill_all();
  auto flow = make();
  flow->start(now);
  auto cancelled = flow->on_client_cancel("client went away", now + kMs);
  EXPECT_TRUE(has<LeaveQueue>(cancelled));
  EXPECT_TRUE(all_of<CancelOnWorker>(cancelled).empty()) << "no worker had it";
  EXPECT_EQ(flow->phase(), FlowPhase::Done);

  settings.queue_max_wait_ms = 0;  // queueing off: refused at once, as before
  auto refused = to_client(make()->start(now));
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].error().http_status(), 429u);
}

}  // namespace
}  // namespace chrysalis::proxy
