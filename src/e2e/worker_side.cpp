#include "e2e/worker_side.h"

#include "api/deterministic_request.h"
#include "e2e/e2e_info.h"

namespace chrysalis::e2e {

void AnswerSealer::seal(proto::Frame& frame) {
  if (finished_) return;
  proto::E2eRecord record;
  if (frame.has_part()) {
    auto* part = frame.mutable_part();
    part->set_event_count(static_cast<uint32_t>(part->events_size()));
    *record.mutable_events() = std::move(*part->mutable_events());
    part->clear_events();
    part->set_sealed(channel_.seal_record(record.SerializeAsString(), false));
    return;
  }
  auto* final = record.mutable_final();
  if (frame.has_end()) {
    const auto& end = frame.end();
    *final->mutable_usage() = end.usage();
    final->set_finish_reason(end.finish_reason());
    final->set_truncated(end.truncated());
    finished_ = true;
    frame.mutable_end()->set_sealed_final(channel_.seal_record(record.SerializeAsString(), true));
  } else if (frame.has_error()) {
    auto* error = frame.mutable_error();
    *final->mutable_usage() = error->usage();
    *final->mutable_error() = *error;
    finished_ = true;
    error->set_message(error->code() + " (the details are sealed for the client)");
    error->set_sealed_final(channel_.seal_record(record.SerializeAsString(), true));
  }
}

std::optional<api::RequestRefusal> open_request(proto::InferenceRequest& request, const crypto::X25519KeyPair& key,
                                                const std::string& tls_key_hex, std::shared_ptr<AnswerSealer>& sealer,
                                                std::string& spot_salt) {
  if (auto refusal = api::check_sealed_body(request, request.sealed())) return refusal;
  std::string info =
      exchange_info(request.request_id(), tls_key_hex, std::string(key.public_key.begin(), key.public_key.end()));
  std::string body, error;
  auto channel = crypto::E2eWorkerChannel::open_request(
      key, info, crypto::SealedRequest{request.sealed().enc(), request.sealed().ciphertext()}, body, error);
  if (!channel)
    return api::RequestRefusal{421, "e2e_unreadable",
                               "the sealed body does not open with this worker's key (" + error +
                                   "): it was sealed for another worker or request, or altered on the way"};
  proto::E2eRequestBody opened;
  if (!opened.ParseFromString(body))
    return api::RequestRefusal{400, "invalid_sealed_body", "the sealed body opens but is not an E2eRequestBody"};
  sealer = std::make_shared<AnswerSealer>(std::move(*channel));
  spot_salt = std::move(*opened.mutable_spot_salt());
  request.set_body(std::move(*opened.mutable_body()));
  request.clear_sealed();
  request.set_e2e(false);
  return std::nullopt;
}

std::optional<api::RequestRefusal> check_spot_flag(const proto::InferenceRequest& request, const nlohmann::json& body,
                                                   const std::string& spot_salt) {
  if (!request.deterministic()) {
    if (spot_salt.empty()) return std::nullopt;
    return api::RequestRefusal{400, "e2e_spot_flag_mismatch",
                               "the sealed body holds a spot salt but the request is not flagged deterministic"};
  }
  if (spot_salt.size() != 32)
    return api::RequestRefusal{400, "e2e_spot_flag_mismatch",
                               "the request is flagged deterministic but its sealed spot salt is " +
                                   std::to_string(spot_salt.size()) + " bytes, not 32"};
  if (!api::is_deterministic_request(body))
    return api::RequestRefusal{400, "e2e_spot_flag_mismatch",
                               "the request is flagged deterministic but its body has neither temperature 0 nor a seed"};
  return std::nullopt;
}

}  // namespace chrysalis::e2e
