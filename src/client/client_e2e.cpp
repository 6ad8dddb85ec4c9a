// The client's side of end-to-end encryption (e2e/client_side.h): each worker the proxy picks is
// checked against this client's own policy before the body is sealed for it, and the answer is
// opened record by record; anything that does not authenticate ends the answer with a named error.
#include <spdlog/spdlog.h>

#include "api/deterministic_request.h"
#include "api/inference_request_check.h"
#include "api/prompt_prefix.h"
#include "attest/policy/model_names.h"
#include "attest/ra_tls/ra_tls_node.h"
#include "client/client_node.h"
#include "client/completion.h"
#include "client/completion_messages.h"
#include "common/random.h"

namespace chrysalis::client {

namespace asio = boost::asio;

void ClientNode::begin_e2e(Completion& c, const api::ValidatedRequest& vr) {
  if (config_.e2e == e2e::Mode::off) {
    c.plaintext_reason = "e2e = off in the client's configuration";
    spdlog::info("rid={} sent without end-to-end encryption: {}", c.rid, c.plaintext_reason);
    metrics_.add("e2e_requests", {{"mode", "off"}});
    return;
  }
  uint64_t affinity = api::salted_prefix_hash(vr.body, config_.affinity_prefix_chars, affinity_salt_);
  std::string body = make_e2e_request(c.request_frame, vr.model, affinity, api::is_deterministic_request(vr.body));
  std::string model = vr.model;
  c.exchange = std::make_unique<e2e::ClientExchange>(
      c.rid, std::move(body), [this, model](const std::string& der, e2e::VerifiedWorker& worker, std::string& reason) {
        return check_worker(der, model, worker, reason);
      });
  metrics_.add("e2e_requests", {{"mode", "sealed"}});
}

// `preferred` only: the request goes again in plaintext, and the log says why.
void ClientNode::drop_e2e(Completion& c, const std::string& reason) {
  c.plaintext_reason = reason;
  c.exchange.reset();
  c.request_frame = make_request_frame(c.rid, c.request_frame.request().path(), c.vr);
  metrics_.add("e2e_requests", {{"mode", "fell_back"}});
  spdlog::warn("rid={} sent without end-to-end encryption (e2e = preferred): {}", c.rid, reason);
}

bool ClientNode::check_worker(const std::string& der, const std::string& model, e2e::VerifiedWorker& worker,
                              std::string& reason) {
  crypto::PeerIdentity identity;
  if (!attestation_->verify_certificate(der, "worker", identity, reason)) {
    metrics_.add("e2e_workers_refused", {{"check", "attestation"}});
    return false;
  }
  if (!model_names_->hashes().empty()) {
    auto refusal = model_names_->check(model, identity.model_hash);
    if (!refusal.code.empty()) {
      metrics_.add("e2e_workers_refused", {{"check", refusal.code}});
      reason = refusal.code + ": the worker " + refusal.message;
      return false;
    }
  }
  worker.public_key_hex = identity.public_key_hex;
  worker.certificate = der;
  worker.image_hash = identity.image_hash;
  worker.model_hash = identity.model_hash;
  worker.e2e_key = identity.e2e_public_key;
  metrics_.add("e2e_workers_verified", {});
  return true;
}

void ClientNode::answer_seal_for(Completion& c, const proto::SealFor& ask) {
  if (!c.exchange) {
    c.conn->send(sealed_for_refusal(c.stream, ask, "this request was sent in plaintext"));
    return;
  }
  proto::Frame out;
  out.set_stream(c.stream);
  *out.mutable_sealed_for() = c.exchange->on_seal_for(ask);
  if (!out.sealed_for().refused().empty())
    spdlog::warn("rid={} refused to seal for the worker proxy {} chose: {}", c.rid, c.conn->peer_node_id(),
                 out.sealed_for().refused());
  c.conn->send(out);
}

// The head must name an attempt this client sealed for; the answer then opens with its keys.
std::optional<api::ApiError> ClientNode::open_head(Completion& c) {
  if (!c.exchange) return std::nullopt;
  std::string error;
  if (c.exchange->begin_answer(c.head.attempt(), error)) return std::nullopt;
  metrics_.add("e2e_answers_rejected", {});
  return api::ApiError{502, "upstream_error", "e2e_answer_rejected", "proxy " + c.conn->peer_node_id() + ": " + error,
                       "client"};
}

// A failure that came with the worker's sealed final record: its own error, which the proxy
// could neither read nor change, replaces what the proxy relayed.
std::optional<api::ApiError> ClientNode::open_error(Completion& c, proto::ResponseError& error) {
  if (!c.exchange || error.sealed_final().empty()) return std::nullopt;
  std::string problem;
  auto final = c.exchange->open_final(error.sealed_final(), problem);
  if (!final || !final->has_error()) {
    metrics_.add("e2e_answers_rejected", {});
    return api::ApiError{502, "upstream_error", "e2e_answer_rejected",
                         "proxy " + c.conn->peer_node_id() + " relayed a failure that does not verify end to end: " +
                             (final ? std::string("it holds no error") : problem)};
  }
  *error.mutable_usage() = bounded_usage(c, final->usage());
  return api_error_from_proto(final->error());
}

// The worker's sealed usage, held to what the request could use (the same bound the proxy bills
// by): a worker whose engine inflates its counts cannot show the app more than that.
proto::Usage ClientNode::bounded_usage(Completion& c, proto::Usage usage) {
  if (api::clamp_usage(usage, c.request_frame.request())) {
    metrics_.add("worker_claims_clamped", {});
    spdlog::warn("rid={} the worker claimed more tokens than the request could use; shown clamped", c.rid);
  }
  return usage;
}

asio::awaitable<void> ClientNode::reject_sealed_answer(Completion& c, const std::string& error, http::Responder& res) {
  metrics_.add("e2e_answers_rejected", {});
  c.conn->send_cancel(c.stream, "e2e verification failed");
  api::ApiError failure{
      502, "upstream_error", "e2e_answer_rejected",
      "the answer relayed by proxy " + c.conn->peer_node_id() + " failed end-to-end verification: " + error};
  co_await fail_mid_answer(c, failure, res);
}

}  // namespace chrysalis::client
