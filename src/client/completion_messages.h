#pragma once
// What the client's inference path builds and reads, apart from any connection: the request
// frame for a proxy, the app's SSE text and usage chunk, and the errors and costs the proxy's
// frames carry.
#include <nlohmann/json.hpp>

#include <string>

#include "api/openai_error.h"
#include "api/openai_request.h"
#include "chrysalis.pb.h"
#include "sse/usage_meter.h"

namespace chrysalis::client {

sse::Usage usage_from_proto(const proto::Usage& u);
// The proxy's error as the app sees it: 502 upstream_error unless it says otherwise, the hop
// that failed before the message.
api::ApiError api_error_from_proto(const proto::ResponseError& e);
// What the request cost, as the proxy charged it (nanoTON as strings); absent when the proxy does not bill.
nlohmann::json cost_json(const proto::Billing& b);
// The chunk OpenAI sends last when stream_options.include_usage is set; id, created and model
// from the last chunk relayed (`last_event`), when it has them.
nlohmann::json usage_chunk(const std::string& last_event, api::ApiKind kind, const std::string& model,
                           const sse::Usage& usage);
// The request frame sent to a proxy; its stream id is set per attempt.
proto::Frame make_request_frame(const std::string& rid, const std::string& path, const api::ValidatedRequest& vr);
// The SSE text of a part's events, as the app receives them when it streams.
std::string sse_of(const std::vector<std::string>& events);
// The answer to a SealFor the client will not seal for, naming why.
proto::Frame sealed_for_refusal(uint64_t stream, const proto::SealFor& ask, const std::string& reason);
// Takes the body out of a request frame and declares instead what the proxy needs to route and
// bill it: model, size, salted prefix hash, and whether it may be spot-checked. Returns what the
// client seals for each worker (an E2eRequestBody: the body and, for a deterministic request, a
// fresh spot salt), which only workers will see.
std::string make_e2e_request(proto::Frame& request_frame, const std::string& model, uint64_t affinity_hash,
                             bool deterministic);

// The answer when no proxy is left to try: 503 billing_not_ready while paying is the only
// obstacle met so far (no proxy failed yet), else 503 naming the last failure or, when none
// failed, why no proxy is connected. `outcome` is the requests metric's label.
struct NoProxyAnswer {
  std::string outcome;
  api::ApiError error;
};
NoProxyAnswer no_proxy_answer(const std::string& billing_problem, const std::string& last_failure,
                              const std::string& unavailable_reason);

}  // namespace chrysalis::client
