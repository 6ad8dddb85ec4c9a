#pragma once
// The events a proxy's published reputation counters are derived from (docs/reputation.md,
// "Derived from receipts"). Each counted outcome or spot-check verdict is one event that carries its
// evidence: the worker's signed receipt part where the worker signed one (every answer it finished,
// every error it reported), and the worker's owner proof when the counters are an owner's. The
// counters are a fold over the events, and each entry's `head` chains their hashes, so the
// committed leaf binds the counters to the exact events — and through them to the receipts — that
// made them. Anyone holding an entry's recent events can replay them and check every step.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chrysalis.pb.h"
#include "proxy/routing_reputation.h"

namespace chrysalis::proxy {

struct ReputationCounters;

// A counted outcome. `ttft_ms` < 0 and `tokens_per_s` <= 0 mean "not measured"; `receipt` may be
// null (the worker signed nothing: it stalled or vanished, so the event is the proxy's own word);
// `owner_proof` is the serialized BillingHello that links the worker's key to an owner subject.
nlohmann::json outcome_event(const std::string& request_id, const std::string& worker_key_hex, Outcome outcome,
                             double ttft_ms, double tokens_per_s, const proto::Receipt* receipt,
                             const std::string& owner_proof);
// A spot-check verdict for the worker whose receipt is receipts[self]; the others are the other
// runs of the same request, so a checker can judge the case again from the signed spot hashes.
nlohmann::json spot_event(const std::string& request_id, const std::string& worker_key_hex, bool agreed,
                          std::size_t self, const std::vector<proto::Receipt>& receipts,
                          const std::string& owner_proof);

// Applies `event` to `c`: the counter it moves, `events` + 1 and the new head. Empty, or why the
// event is not one (an unknown kind or outcome, a bucket out of range).
std::string apply_event(ReputationCounters& c, const nlohmann::json& event);
// The same, with the event's canonical text (event.dump()) already at hand: it is what the head hashes.
std::string apply_event(ReputationCounters& c, const nlohmann::json& event, std::string_view canonical);

// Whether `event`'s evidence supports it, for an entry about `subject` published by the proxy
// with key `proxy_key_hex`: the worker's key is the subject's (or its owner proof holds), every
// receipt is signed by its worker for the event's request, a success has its worker's receipt with
// a finish reason, a failure's receipt (if any) reports an error, and a spot verdict is what the
// signed spot hashes give. Empty when it holds; `proxy_word` is set for a failure with no receipt.
std::string event_evidence_problem(const nlohmann::json& event, const std::string& subject,
                                   const std::string& proxy_key_hex, bool& proxy_word);

// The receipt forms kept in an event: the worker's signed bytes and signature, hex.
nlohmann::json receipt_evidence(const proto::Receipt& receipt);

}  // namespace chrysalis::proxy
