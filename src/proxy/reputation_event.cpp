#include "proxy/reputation_event.h"

#include <algorithm>

#include "billing/owner_proof.h"
#include "common/hex.h"
#include "crypto/sha256.h"
#include "proxy/reputation_table.h"
#include "proxy/routing_spot_check.h"
#include "receipts/receipt.h"

namespace chrysalis::proxy {

namespace {

constexpr char kEventDomain[] = "chrysalis-reputation-event/1";
constexpr int kBuckets = 8;

// Raw bytes of a hex string field; nullopt when it is not hex.
std::optional<std::string> raw_of(const nlohmann::json& j) {
  if (!j.is_string()) return std::nullopt;
  try {
    auto bytes = from_hex(j.get<std::string>());
    return std::string(bytes.begin(), bytes.end());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

template <std::size_t N>
int bucket_of(const std::array<double, N>& edges, double value) {
  return static_cast<int>(std::lower_bound(edges.begin(), edges.end(), value) - edges.begin());
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Success: return "success";
    case Outcome::ErrorBeforeFirstToken: return "early_error";
    case Outcome::Timeout: return "timeout";
    case Outcome::ErrorAfterFirstToken: return "mid_stream_error";
  }
  return "";
}

// What a worker signs as its outcome (receipt_writer.cpp): the engine's finish reason when the
// answer ended, else the error code of worker/inference_job.cpp — invalid_body, cancelled, timeout,
// engine_*. Any other text is a finish reason (engines name theirs freely).
bool is_error_outcome(const std::string& outcome) {
  return outcome == "invalid_body" || outcome == "cancelled" || outcome == "timeout" ||
         outcome.rfind("engine", 0) == 0 || outcome.rfind("worker", 0) == 0;
}

std::optional<proto::Receipt> receipt_of(const nlohmann::json& evidence) {
  if (!evidence.is_object()) return std::nullopt;
  auto worker = raw_of(evidence.value("worker", nlohmann::json()));
  auto signature = raw_of(evidence.value("signature", nlohmann::json()));
  if (!worker || !signature) return std::nullopt;
  proto::Receipt r;
  r.set_worker(*worker);
  r.set_worker_signature(*signature);
  return r;
}

// Opens receipt `evidence` for `request_id`, by `worker_key` when it is not empty (raw).
std::optional<proto::WorkerReceipt> open_evidence(const nlohmann::json& evidence, const std::string& request_id,
                                                  const std::string& worker_key, std::string& problem) {
  auto receipt = receipt_of(evidence);
  if (!receipt) {
    problem = "a receipt is not {worker, signature} in hex";
    return std::nullopt;
  }
  receipts::Expected expected;
  expected.request_id = request_id;
  expected.worker_key = worker_key;
  expected.countersigned = false;
  std::string why;
  auto opened = receipts::open_receipt(*receipt, expected, why);
  if (!opened) {
    problem = "receipt: " + why;
    return std::nullopt;
  }
  return opened->worker;
}

std::string subject_problem(const nlohmann::json& event, const std::string& subject, const std::string& worker_key_hex,
                            const std::string& proxy_key_hex) {
  if (subject.rfind("owner:", 0) != 0)
    return subject == worker_key_hex ? "" : "worker_key: " + worker_key_hex.substr(0, 16) + "… is not this entry's worker";
  auto proof_bytes = raw_of(event.value("owner_proof", nlohmann::json()));
  proto::BillingHello proof;
  if (!proof_bytes || proof_bytes->empty() || !proof.ParseFromString(*proof_bytes))
    return "owner_proof: missing or not readable, so nothing links worker " + worker_key_hex.substr(0, 16) +
           "… to " + subject;
  return billing::owner_proof_problem(proof, subject.substr(6), worker_key_hex, proxy_key_hex);
}

std::string outcome_evidence_problem(const nlohmann::json& event, const std::string& request_id,
                                     const std::string& worker_key, bool& proxy_word) {
  std::string outcome = event.value("outcome", "");
  const auto& evidence = event.value("receipt", nlohmann::json());
  if (evidence.is_null()) {
    if (outcome == "success") return "a success without the worker's receipt";
    proxy_word = true;  // the worker signed nothing: it stalled or vanished
    return "";
  }
  std::string problem;
  auto worker = open_evidence(evidence, request_id, worker_key, problem);
  if (!worker) return problem;
  bool finished = !is_error_outcome(worker->outcome());
  if (outcome == "success" && !finished)
    return "counted as a success, but the worker signed the outcome '" + worker->outcome() + "'";
  if (outcome != "success" && finished)
    return "counted as " + outcome + ", but the worker signed a finished answer ('" + worker->outcome() + "')";
  return "";
}

std::string spot_evidence_problem(const nlohmann::json& event, const std::string& request_id,
                                  const std::string& worker_key) {
  const auto& list = event.value("receipts", nlohmann::json());
  const auto& self_j = event.value("self", nlohmann::json());
  const auto& agreed_j = event.value("agreed", nlohmann::json());
  if (!list.is_array() || list.size() < 2 || list.size() > 3) return "a spot check needs the 2 or 3 runs' receipts";
  if (!self_j.is_number_unsigned() || self_j.get<std::size_t>() >= list.size()) return "self: not one of the receipts";
  if (!agreed_j.is_boolean()) return "agreed: not true or false";
  std::size_t self = self_j.get<std::size_t>();
  std::vector<std::string> hashes;
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string problem;
    auto worker = open_evidence(list[i], request_id, i == self ? worker_key : "", problem);
    if (!worker) return "receipts[" + std::to_string(i) + "]: " + problem;
    hashes.push_back(worker->spot_hash());
  }
  auto verdict = judge_spot_check(hashes)[self];
  if (verdict == SpotVerdict::Undecided) return "the signed spot hashes decide nothing, yet a verdict was counted";
  if ((verdict == SpotVerdict::Agree) != agreed_j.get<bool>())
    return std::string("counted as ") + (agreed_j.get<bool>() ? "agreed" : "disagreed") +
           ", but the signed spot hashes say otherwise";
  return "";
}

}  // namespace

nlohmann::json receipt_evidence(const proto::Receipt& receipt) {
  return {{"worker", hex_of(receipt.worker())}, {"signature", hex_of(receipt.worker_signature())}};
}

nlohmann::json outcome_event(const std::string& request_id, const std::string& worker_key_hex, Outcome outcome,
                             double ttft_ms, double tokens_per_s, const proto::Receipt* receipt,
                             const std::string& owner_proof) {
  bool measured = outcome == Outcome::Success;
  return {{"kind", "outcome"},
          {"request_id", request_id},
          {"worker_key", worker_key_hex},
          {"outcome", outcome_name(outcome)},
          {"ttft_bucket", measured && ttft_ms >= 0 ? bucket_of(ReputationCounters::kTtftMsEdges, ttft_ms) : -1},
          {"tps_bucket", measured && tokens_per_s > 0 ? bucket_of(ReputationCounters::kTokensPerSEdges, tokens_per_s) : -1},
          {"receipt", receipt ? receipt_evidence(*receipt) : nlohmann::json()},
          {"owner_proof", hex_of(owner_proof)}};
}

nlohmann::json spot_event(const std::string& request_id, const std::string& worker_key_hex, bool agreed,
                          std::size_t self, const std::vector<proto::Receipt>& receipts,
                          const std::string& owner_proof) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : receipts) list.push_back(receipt_evidence(r));
  return {{"kind", "spot"},          {"request_id", request_id}, {"worker_key", worker_key_hex},
          {"agreed", agreed},        {"self", self},             {"receipts", std::move(list)},
          {"owner_proof", hex_of(owner_proof)}};
}

std::string apply_event(ReputationCounters& c, const nlohmann::json& event) {
  return event.is_object() ? apply_event(c, event, event.dump()) : "an event is not a JSON object";
}

std::string apply_event(ReputationCounters& c, const nlohmann::json& event, std::string_view canonical) {
  if (!event.is_object()) return "an event is not a JSON object";
  std::string kind = event.value("kind", "");
  if (kind == "outcome") {
    std::string outcome = event.value("outcome", "");
    uint64_t* counter = outcome == "success"            ? &c.successes
                        : outcome == "early_error"      ? &c.early_errors
                        : outcome == "timeout"          ? &c.timeouts
                        : outcome == "mid_stream_error" ? &c.mid_stream_errors
                                                        : nullptr;
    if (!counter) return "outcome: '" + outcome.substr(0, 40) + "' is not one the counters know";
    const auto& ttft = event.value("ttft_bucket", nlohmann::json());
    const auto& tps = event.value("tps_bucket", nlohmann::json());
    if (!ttft.is_number_integer() || ttft < -1 || ttft >= kBuckets || !tps.is_number_integer() || tps < -1 ||
        tps >= kBuckets)
      return "ttft_bucket/tps_bucket: not -1..7";
    ++c.requests;
    ++*counter;
    if (ttft >= 0) ++c.ttft_ms[ttft.get<std::size_t>()];
    if (tps >= 0) ++c.tokens_per_s[tps.get<std::size_t>()];
  } else if (kind == "spot") {
    const auto& agreed = event.value("agreed", nlohmann::json());
    if (!agreed.is_boolean()) return "agreed: not true or false";
    ++(agreed.get<bool>() ? c.spot_agreements : c.spot_disagreements);
  } else {
    return "kind: '" + kind.substr(0, 40) + "' is not outcome or spot";
  }
  std::string head = c.head.empty() ? std::string(32, '\0') : c.head;
  c.head = crypto::sha256(kEventDomain + head + std::string(canonical));
  ++c.events;
  return "";
}

std::string event_evidence_problem(const nlohmann::json& event, const std::string& subject,
                                   const std::string& proxy_key_hex, bool& proxy_word) {
  proxy_word = false;
  if (!event.is_object()) return "an event is not a JSON object";
  std::string request_id = event.value("request_id", "");
  auto key = raw_of(event.value("worker_key", nlohmann::json()));
  if (!key || key->size() != 32) return "worker_key: not 32 bytes of hex";
  std::string key_hex = hex_of(*key);
  if (auto problem = subject_problem(event, subject, key_hex, proxy_key_hex); !problem.empty()) return problem;
  std::string kind = event.value("kind", "");
  if (kind == "outcome") return outcome_evidence_problem(event, request_id, *key, proxy_word);
  if (kind == "spot") return spot_evidence_problem(event, request_id, *key);
  return "kind: '" + kind.substr(0, 40) + "' is not outcome or spot";
}

}  // namespace chrysalis::proxy
