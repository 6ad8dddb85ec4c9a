// A request's part in spot checks (request_flow.h): drawn at start; for e2e the client is asked to
// seal the request for the spot workers along with the first attempt; the answer's signed spot
// hash and those seals are offered to the router when the answer ends.
#include <spdlog/spdlog.h>

#include "api/inference_request_check.h"
#include "proxy/request_flow.h"

namespace chrysalis::proxy {

// Chosen among the workers that could take the request now, other than the one it went to.
void RequestFlow::ask_spot_seals() {
  std::vector<uint64_t> excluded = tried_;
  for (std::size_t i = 0; i < kSpotSeals; ++i) {
    WorkerPick pick = router_.choose(facts_, request_, excluded);
    if (pick.conn == 0) break;
    excluded.push_back(pick.conn);
    SpotSeal seal{.conn = pick.conn, .seal_id = ++seals_asked_};
    proto::Frame ask;
    ask.mutable_seal_for()->set_attempt(seal.seal_id);
    ask.mutable_seal_for()->set_worker_certificate(pick.certificate);
    emit(SendToClient{std::move(ask)});
    spot_seals_.push_back(std::move(seal));
  }
  if (spot_seals_.empty()) metrics_.add("spot_checks", {{"outcome", "no_worker"}});
}

// True when the client's answer was for a spot seal. A refusal (the client's policy) or a
// malformed seal only loses that spot worker: the request itself goes on.
bool RequestFlow::on_spot_sealed(const proto::SealedFor& sealed) {
  for (auto& seal : spot_seals_) {
    if (seal.seal_id != sealed.attempt()) continue;
    if (seal.answered) return true;
    seal.answered = true;
    if (!sealed.refused().empty())
      metrics_.add("spot_seals", {{"outcome", "refused_by_client"}});
    else if (api::check_sealed_body(request_, sealed.sealed()))
      metrics_.add("spot_seals", {{"outcome", "malformed"}});
    else
      seal.sealed = sealed.sealed();
    return true;
  }
  return false;
}

// The answering worker's receipt was checked on arrival (a bad one is gone by now); its signed
// spot hash is what the reruns are compared with. E2E reruns go only to workers the client sealed
// for, and never to the one that answered (a failover or hedge may have landed there).
void RequestFlow::offer_spot_check(uint64_t conn, const proto::ResponseEnd& end) {
  proto::WorkerReceipt signed_by_worker;
  if (!end.has_receipt() || !signed_by_worker.ParseFromString(end.receipt().worker()) ||
      signed_by_worker.spot_hash().empty()) {
    metrics_.add("spot_checks", {{"outcome", "unsigned"}});
    spdlog::warn("rid={} no spot check: the answering worker signed no spot hash", request_.request_id());
    return;
  }
  SpotOffer offer{.request = request_,
                  .model = facts_.model,
                  .worker_conn = conn,
                  .worker_key = primary_.worker_key,
                  .spot_hash = signed_by_worker.spot_hash(),
                  .receipt = end.receipt(),
                  .answer_ttft_ms = first_token_us_ > primary_.started_us && primary_.started_us > 0
                                        ? (first_token_us_ - primary_.started_us) / 1000.0
                                        : 0};
  for (auto& seal : spot_seals_)
    if (seal.sealed && seal.conn != conn) offer.sealed.push_back({seal.conn, std::move(*seal.sealed)});
  spot_seals_.clear();
  if (facts_.e2e && offer.sealed.empty()) {
    metrics_.add("spot_checks", {{"outcome", "not_sealed"}});
    return;
  }
  router_.offer_spot_check(std::move(offer));
}

}  // namespace chrysalis::proxy
