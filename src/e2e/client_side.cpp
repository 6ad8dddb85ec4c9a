#include "e2e/client_side.h"

#include "e2e/e2e_info.h"

namespace chrysalis::e2e {

ClientExchange::ClientExchange(std::string request_id, std::string body, WorkerCheck check)
    : request_id_(std::move(request_id)), body_(std::move(body)), check_(std::move(check)) {}

proto::SealedFor ClientExchange::on_seal_for(const proto::SealFor& ask) {
  proto::SealedFor out;
  out.set_attempt(ask.attempt());
  if (attempts_.size() + refused_ >= kMaxSeals) {
    out.set_refused("the proxy asked to seal this request for more than " + std::to_string(kMaxSeals) + " workers");
    return out;
  }
  for (auto& a : attempts_)
    if (a.id == ask.attempt()) {
      out.set_refused("attempt " + std::to_string(ask.attempt()) + " was already sealed");
      return out;
    }
  VerifiedWorker worker;
  std::string reason;
  if (!check_(ask.worker_certificate(), worker, reason)) {
    refused_++;
    out.set_refused(reason);
    return out;
  }
  if (worker.e2e_key.size() != 32) {
    refused_++;
    out.set_refused("the worker's certificate binds no e2e key");
    return out;
  }
  crypto::X25519Key key{};
  std::copy(worker.e2e_key.begin(), worker.e2e_key.end(), key.begin());
  crypto::SealedRequest sealed;
  auto channel = crypto::E2eClientChannel::seal_request(
      key, exchange_info(request_id_, worker.public_key_hex, worker.e2e_key), body_, sealed);
  attempts_.push_back(Attempt{ask.attempt(), std::move(channel), std::move(worker)});
  out.mutable_sealed()->set_enc(std::move(sealed.enc));
  out.mutable_sealed()->set_ciphertext(std::move(sealed.ciphertext));
  return out;
}

bool ClientExchange::begin_answer(uint32_t attempt, std::string& error) {
  for (auto& a : attempts_)
    if (a.id == attempt) {
      answering_ = &a;
      return true;
    }
  error = "the proxy's answer names attempt " + std::to_string(attempt) + ", which the client sealed nothing for";
  return false;
}

std::optional<proto::E2eRecord> ClientExchange::open_record(Attempt& attempt, const std::string& record,
                                                            bool expect_final, std::string& error) {
  bool final = false;
  auto plain = attempt.channel.open_record(record, final, error);
  if (!plain) return std::nullopt;
  if (final != expect_final) {
    error = expect_final ? "the answer's last record is not marked final (the answer was cut short)"
                         : "a record marked final arrived before the end of the answer";
    return std::nullopt;
  }
  proto::E2eRecord parsed;
  if (!parsed.ParseFromString(*plain)) {
    error = "an answer record does not parse";
    return std::nullopt;
  }
  return parsed;
}

std::optional<std::vector<std::string>> ClientExchange::open_part(const proto::ResponsePart& part, std::string& error) {
  if (!answering_) {
    error = "an answer part arrived before the head";
    return std::nullopt;
  }
  if (part.sealed().empty() || part.events_size() > 0) {
    error = "an answer part is not sealed";
    return std::nullopt;
  }
  auto record = open_record(*answering_, part.sealed(), false, error);
  if (!record) return std::nullopt;
  if (record->has_final()) {
    error = "an answer part holds a final record";
    return std::nullopt;
  }
  std::vector<std::string> events(record->events().begin(), record->events().end());
  return events;
}

std::optional<proto::E2eFinal> ClientExchange::open_final(const std::string& sealed_final, std::string& error) {
  if (sealed_final.empty()) {
    error = "the answer ended without the worker's sealed final record";
    return std::nullopt;
  }
  std::vector<Attempt*> candidates;
  if (answering_)
    candidates.push_back(answering_);
  else
    for (auto& a : attempts_) candidates.push_back(&a);
  if (candidates.empty()) {
    error = "a sealed final record arrived for a request sealed for no worker";
    return std::nullopt;
  }
  for (Attempt* a : candidates) {
    auto record = open_record(*a, sealed_final, true, error);
    if (record && record->has_final()) return record->final();
    if (record) error = "the final record holds no outcome";
  }
  return std::nullopt;
}

}  // namespace chrysalis::e2e
