#include "proxy/routing_spot_check_runs.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/hex.h"
#include "receipts/receipt.h"

namespace chrysalis::proxy {

SpotChecks::SpotChecks(boost::asio::io_context& io, WorkerTable& workers, RoutingState& routing, Metrics& metrics,
                       uint32_t request_timeout_ms)
    : io_(io), workers_(workers), routing_(routing), metrics_(metrics), request_timeout_ms_(request_timeout_ms) {}

void SpotChecks::start_case(SpotOffer offer) {
  if (cases_.size() >= kMaxOpenCases) {
    metrics_.add("spot_checks", {{"outcome", "too_many_open"}});
    return;
  }
  uint64_t id = ++seq_;
  Case sc{.request = std::move(offer.request),
          .model = std::move(offer.model),
          .sealed = {std::make_move_iterator(offer.sealed.begin()), std::make_move_iterator(offer.sealed.end())},
          .conns = {offer.worker_conn},
          .keys = {std::move(offer.worker_key)},
          .spot_hashes = {std::move(offer.spot_hash)},
          .receipts = {std::move(offer.receipt)},
          .answer_ttft_ms = offer.answer_ttft_ms};
  cases_.emplace(id, std::move(sc));
  launch(id);
}

WorkerEntry* SpotChecks::next_worker(Case& sc, uint64_t& worker_id, proto::SealedBody& sealed) {
  if (!sc.request.e2e()) {
    worker_id = workers_.choose_other(
        sc.model, sc.request.max_coefficient(),
        routing_.shape(sc.model, sc.request.max_tokens(), sc.request.prompt_tokens_estimate()), sc.conns);
    return worker_id ? workers_.find(worker_id) : nullptr;
  }
  while (!sc.sealed.empty()) {
    SealedSpotRun run = std::move(sc.sealed.front());
    sc.sealed.pop_front();
    WorkerEntry* w = workers_.find(run.worker_conn);
    bool ran = std::find(sc.conns.begin(), sc.conns.end(), run.worker_conn) != sc.conns.end();
    if (!w || ran || !w->enabled || w->running >= w->max_concurrent) continue;
    worker_id = run.worker_conn;
    sealed = std::move(run.sealed);
    return w;
  }
  return nullptr;
}

void SpotChecks::launch(uint64_t case_id) {
  auto& sc = cases_.at(case_id);
  uint64_t worker_id = 0;
  proto::SealedBody sealed;
  WorkerEntry* found = next_worker(sc, worker_id, sealed);
  if (!found) {
    metrics_.add("spot_checks", {{"outcome", "no_worker"}});
    cases_.erase(case_id);
    return;
  }
  WorkerEntry& worker = *found;
  uint64_t stream = worker.conn->next_stream_id();
  Run run{.case_id = case_id, .worker_key = worker.key};
  arm_stall_timer(run, {worker_id, stream}, sc.answer_ttft_ms);
  runs_[{worker_id, stream}] = std::move(run);
  sc.conns.push_back(worker_id);
  worker.running++;
  proto::Frame out;
  out.set_stream(stream);
  *out.mutable_request() = sc.request;
  if (sc.request.e2e()) *out.mutable_request()->mutable_sealed() = std::move(sealed);
  out.mutable_request()->set_timeout_ms(request_timeout_ms_);
  worker.conn->send(out);
  metrics_.add("spot_check_runs", {{"sealed", sc.request.e2e() ? "yes" : "no"}});
  spdlog::info("rid={} spot check on worker {}", sc.request.request_id(), worker.id);
}

// The same first-token limit as for paid requests, scaled by how long the checked answer's first
// token took (a peer of the same model should be about as quick), or the request timeout: a
// worker that stalls on a spot check is cancelled, loses reputation and gets its slot back.
void SpotChecks::arm_stall_timer(Run& run, StreamKey key, double answer_ttft_ms) {
  const auto& config = routing_.config();
  uint32_t limit_ms = stall_limit_ms(config.first_token_timeout_ms, config.first_token_factor, answer_ttft_ms);
  if (limit_ms == 0)
    limit_ms = request_timeout_ms_;
  else if (limit_ms > config.first_token_timeout_ms)
    limit_ms = std::min(limit_ms, request_timeout_ms_);  // scaled, never past the request's own timeout
  run.first_token_timer = std::make_shared<boost::asio::steady_timer>(io_);
  run.first_token_timer->expires_after(std::chrono::milliseconds(limit_ms));
  run.first_token_timer->async_wait([this, key](boost::system::error_code ec) {
    if (ec) return;
    auto it = runs_.find(key);
    if (it == runs_.end() || it->second.got_token) return;
    if (auto* w = workers_.find(key.first)) {
      w->conn->send_cancel(key.second, "spot check: no first token in time");
      if (w->running > 0) w->running--;
    }
    auto cit = cases_.find(it->second.case_id);
    routing_.record(it->second.worker_key, cit != cases_.end() ? cit->second.model : "", Outcome::Timeout,
                    cit != cases_.end() ? cit->second.request.request_id() : "", nullptr);
    metrics_.add("spot_checks", {{"outcome", "stalled"}});
    cases_.erase(it->second.case_id);
    runs_.erase(it);
  });
}

bool SpotChecks::on_frame(uint64_t conn, proto::Frame& frame) {
  auto it = runs_.find({conn, frame.stream()});
  if (it == runs_.end()) return false;
  if (frame.has_head()) return true;
  if (frame.has_part()) {
    it->second.got_token = true;
    return true;
  }
  Run run = std::move(it->second);
  if (run.first_token_timer) run.first_token_timer->cancel();
  runs_.erase(it);
  workers_.release_slot(conn);
  on_run_ended(std::move(run), conn, frame);
  return true;
}

void SpotChecks::on_run_ended(Run run, uint64_t conn, const proto::Frame& frame) {
  auto cit = cases_.find(run.case_id);
  if (cit == cases_.end()) return;
  const std::string& rid = cit->second.request.request_id();
  if (!frame.has_end()) {  // the duplicate failed: nothing to compare, but the failure counts
    if (frame.has_error() && frame.error().code() != "cancelled") {
      auto receipt = frame.error().has_receipt() ? verified_receipt(cit->second, run, frame.error().receipt())
                                                 : std::nullopt;
      routing_.record(run.worker_key, cit->second.model,
                      run.got_token ? Outcome::ErrorAfterFirstToken : Outcome::ErrorBeforeFirstToken, rid,
                      receipt ? &*receipt : nullptr);
    }
    metrics_.add("spot_checks", {{"outcome", "failed"}});
    cases_.erase(cit);
    return;
  }
  auto receipt = frame.end().has_receipt() ? verified_receipt(cit->second, run, frame.end().receipt()) : std::nullopt;
  if (!receipt) {  // an answer its worker would not sign for proves nothing and counts against it
    metrics_.add("spot_checks", {{"outcome", "unsigned_rerun"}});
    routing_.record(run.worker_key, cit->second.model, Outcome::ErrorAfterFirstToken, rid, nullptr);
    cases_.erase(cit);
    return;
  }
  proto::WorkerReceipt signed_part;
  signed_part.ParseFromString(receipt->worker());
  cit->second.keys.push_back(run.worker_key);
  cit->second.spot_hashes.push_back(signed_part.spot_hash());
  cit->second.receipts.push_back(std::move(*receipt));
  judge(run.case_id);
}

std::optional<proto::Receipt> SpotChecks::verified_receipt(const Case& sc, const Run& run,
                                                           const proto::Receipt& receipt) const {
  receipts::Expected expected;
  expected.request_id = sc.request.request_id();
  expected.countersigned = false;
  if (run.worker_key.size() == 64) {
    auto key = from_hex(run.worker_key);
    expected.worker_key.assign(key.begin(), key.end());
  }
  std::string problem;
  if (receipts::open_receipt(receipt, expected, problem)) {
    proto::Receipt worker_part;
    worker_part.set_worker(receipt.worker());
    worker_part.set_worker_signature(receipt.worker_signature());
    return worker_part;
  }
  spdlog::warn("rid={} spot check: worker {} sent a receipt that does not verify ({})", sc.request.request_id(),
               run.worker_key.substr(0, 16), problem);
  return std::nullopt;
}

void SpotChecks::judge(uint64_t case_id) {
  auto& sc = cases_.at(case_id);
  auto verdicts = judge_spot_check(sc.spot_hashes);
  if (verdicts.front() == SpotVerdict::Undecided) {
    if (sc.spot_hashes.size() == 2) {
      metrics_.add("spot_checks", {{"outcome", "mismatch"}});
      launch(case_id);  // a third opinion decides
    } else {
      metrics_.add("spot_checks", {{"outcome", "undecided"}});
      cases_.erase(case_id);
    }
    return;
  }
  for (std::size_t i = 0; i < verdicts.size(); ++i) {
    bool agreed = verdicts[i] == SpotVerdict::Agree;
    routing_.record_spot_check(sc.keys[i], sc.model, agreed, sc.request.request_id(), i, sc.receipts);
    if (!agreed)
      spdlog::warn("rid={} spot check: worker key {} disagrees with the majority", sc.request.request_id(),
                   sc.keys[i].substr(0, 16));
  }
  metrics_.add("spot_checks", {{"outcome", verdicts.size() == 2 ? "agreed" : "resolved"}});
  cases_.erase(case_id);
}

void SpotChecks::drop_worker(uint64_t conn) {
  for (auto it = runs_.begin(); it != runs_.end();) {
    if (it->first.first == conn) {
      cases_.erase(it->second.case_id);
      it = runs_.erase(it);
    } else {
      ++it;
    }
  }
}

nlohmann::json SpotChecks::json() const {
  return {{"open_cases", cases_.size()}, {"open_cases_limit", kMaxOpenCases}, {"running", runs_.size()}};
}

}  // namespace chrysalis::proxy
