#include "client/completion_messages.h"
#include "common/json_bounded.h"

#include <algorithm>

#include "common/random.h"
#include "common/time.h"

namespace chrysalis::client {

sse::Usage usage_from_proto(const proto::Usage& u) {
  return sse::Usage{u.prompt_tokens(), u.cached_tokens(), u.completion_tokens(), u.reasoning_tokens(), u.estimated()};
}

api::ApiError api_error_from_proto(const proto::ResponseError& e) {
  api::ApiError err;
  err.status = e.http_status() ? static_cast<int>(e.http_status()) : 502;
  err.type = e.type().empty() ? "upstream_error" : e.type();
  err.code = e.code();
  err.message = e.hop().empty() ? e.message() : e.hop() + ": " + e.message();
  err.retry_after_s = std::min<uint32_t>(e.retry_after_s(), 3600);  // a hop's word, bounded
  return err;
}

nlohmann::json cost_json(const proto::Billing& b) {
  return {{"charged_tokens", b.charged_tokens()},
          {"cost_nano", std::to_string(b.cost_nano())},
          {"available_nano", std::to_string(b.available_nano())},
          {"capped", b.capped()}};
}

nlohmann::json usage_chunk(const std::string& last_event, api::ApiKind kind, const std::string& model,
                           const sse::Usage& usage) {
  auto last_chunk = parse_json_bounded(last_event).value;
  if (!last_chunk.is_object()) last_chunk = nlohmann::json::object();
  nlohmann::json chunk = {{"id", last_chunk.value("id", "")},
                          {"object", kind == api::ApiKind::Chat ? "chat.completion.chunk" : "text_completion"},
                          {"created", last_chunk.value("created", unix_now_us() / 1000000)},
                          {"model", last_chunk.value("model", model)},
                          {"choices", nlohmann::json::array()},
                          {"usage", sse::to_openai_usage(usage)}};
  return chunk;
}

proto::Frame make_request_frame(const std::string& rid, const std::string& path, const api::ValidatedRequest& vr) {
  proto::Frame request_frame;
  auto* r = request_frame.mutable_request();
  r->set_request_id(rid);
  r->set_path(path);
  r->set_body(api::forwarded_body(vr));
  r->set_max_tokens(vr.max_tokens);
  r->set_max_coefficient(vr.max_coefficient);
  r->set_max_price(vr.max_price);
  r->set_ttft_deadline_ms(vr.ttft_deadline_ms);
  r->set_timeout_ms(vr.timeout_ms);
  r->set_prompt_tokens_estimate(sse::estimate_prompt_tokens(vr.body));
  return request_frame;
}

proto::Frame sealed_for_refusal(uint64_t stream, const proto::SealFor& ask, const std::string& reason) {
  proto::Frame out;
  out.set_stream(stream);
  out.mutable_sealed_for()->set_attempt(ask.attempt());
  out.mutable_sealed_for()->set_refused(reason);
  return out;
}

std::string make_e2e_request(proto::Frame& request_frame, const std::string& model, uint64_t affinity_hash,
                             bool deterministic) {
  auto* r = request_frame.mutable_request();
  proto::E2eRequestBody sealed;
  sealed.set_body(std::move(*r->mutable_body()));
  r->clear_body();
  if (deterministic) sealed.set_spot_salt(random_bytes(32));
  std::string plaintext = sealed.SerializeAsString();
  r->set_e2e(true);
  r->set_model(model);
  r->set_body_bytes(plaintext.size());
  r->set_affinity_hash(affinity_hash);
  r->set_deterministic(deterministic);
  return plaintext;
}

std::string sse_of(const std::vector<std::string>& events) {
  std::string sse;
  for (auto& text : events) {
    sse += "data: ";
    sse += text;
    sse += "\n\n";
  }
  return sse;
}

NoProxyAnswer no_proxy_answer(const std::string& billing_problem, const std::string& last_failure,
                              const std::string& unavailable_reason) {
  if (!billing_problem.empty() && last_failure.empty())
    return {"billing_not_ready", api::ApiError{503, "server_error", "billing_not_ready",
                                               "client: no proxy can be paid yet (" + billing_problem + ")", ""}};
  std::string why = last_failure.empty() ? "no proxy connected (" + unavailable_reason + ")" : last_failure;
  return {"no_proxy", api::service_unavailable("client->proxy", why)};
}

}  // namespace chrysalis::client
