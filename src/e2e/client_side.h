#pragma once
// The client's half of end-to-end encryption for one request. The proxy asks, per attempt, for
// the body sealed to the worker it chose (SealFor, with that worker's RA-TLS certificate); the
// client checks the worker against its own policy first, seals to the X25519 key the worker's
// claims bind, and later opens the answer records of the attempt that answers, in order, so an
// altered, dropped, reordered or replayed record, a cut answer or a foreign worker all fail.
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "chrysalis.pb.h"
#include "crypto/e2e_channel.h"
#include "e2e/e2e_mode.h"

namespace chrysalis::e2e {

// What the client verified about a worker before sealing a prompt for it.
struct VerifiedWorker {
  std::string public_key_hex;  // its certificate key
  std::string image_hash;      // empty without a quote (a policy that allows none)
  std::string model_hash;
  std::string e2e_key;      // raw X25519 key from its claims
  std::string certificate;  // DER, as checked
};

// Checks a worker's certificate (DER) for a request of `model`; false with `reason` naming the
// failed check.
using WorkerCheck = std::function<bool(const std::string& der, VerifiedWorker& worker, std::string& reason)>;

class ClientExchange {
 public:
  // More SealFor than this for one request and the proxy is refused (retries and hedges need few).
  static constexpr std::size_t kMaxSeals = 8;

  ClientExchange(std::string request_id, std::string body, WorkerCheck check);

  // The answer to the proxy's SealFor: the body sealed for the worker, or refused with the reason.
  proto::SealedFor on_seal_for(const proto::SealFor& ask);
  // The head names the attempt that answers; false with `error` when none was sealed for it.
  bool begin_answer(uint32_t attempt, std::string& error);
  // The worker that answers (after begin_answer).
  const VerifiedWorker* worker() const { return answering_ ? &answering_->worker : nullptr; }
  // The answering attempt's receipt salt (receipts/answer_digest.h); empty before the head.
  std::string answer_salt() const { return answering_ ? answering_->channel.receipt_salt() : std::string(); }
  // A part's events, or nullopt with `error` naming the record that failed.
  std::optional<std::vector<std::string>> open_part(const proto::ResponsePart& part, std::string& error);
  // The worker's final record; before the head any attempt's may be the one (which one failed is
  // not said). nullopt with `error` when it does not authenticate or is not final.
  std::optional<proto::E2eFinal> open_final(const std::string& sealed_final, std::string& error);
  std::size_t seals() const { return attempts_.size(); }

 private:
  struct Attempt {
    uint32_t id = 0;
    crypto::E2eClientChannel channel;
    VerifiedWorker worker;
  };
  std::optional<proto::E2eRecord> open_record(Attempt& attempt, const std::string& record, bool expect_final,
                                              std::string& error);
  std::string request_id_, body_;
  WorkerCheck check_;
  std::deque<Attempt> attempts_;  // a deque: answering_ stays valid as seals are added
  Attempt* answering_ = nullptr;
  std::size_t refused_ = 0;
};

}  // namespace chrysalis::e2e
