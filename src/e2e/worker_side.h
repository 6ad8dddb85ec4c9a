#pragma once
// The worker's half of end-to-end encryption: it opens a request body sealed to its attested
// X25519 key, and seals every answer frame back so that only the client can read it and any
// change, loss or replay on the way is detected (crypto/e2e_channel.h).
#include <memory>
#include <optional>
#include <string>

#include "api/inference_request_check.h"
#include "chrysalis.pb.h"
#include "crypto/e2e_channel.h"
#include "crypto/hpke.h"

namespace chrysalis::e2e {

class AnswerSealer {
 public:
  explicit AnswerSealer(crypto::E2eWorkerChannel channel) : channel_(std::move(channel)) {}
  // Rewrites a frame bound for the proxy: a part's events become one sealed record; an end or an
  // error carries the sealed final record (usage, finish, the error), and an error's message,
  // which may quote the prompt, is replaced by its code. Heads pass unchanged.
  void seal(proto::Frame& frame);
  const std::string& receipt_salt() const { return channel_.receipt_salt(); }

 private:
  crypto::E2eWorkerChannel channel_;
  bool finished_ = false;
};

// Opens an e2e request in place: its sealed body is checked against what it declares, opened
// with `key`, and becomes the plaintext body (e2e and sealed cleared), so the job runs as any
// other; `sealer` then seals the answer and `spot_salt` is the client's, if it sealed one. A
// refusal names what failed (code e2e_unreadable: the body was not sealed for this worker or was
// altered).
std::optional<api::RequestRefusal> open_request(proto::InferenceRequest& request, const crypto::X25519KeyPair& key,
                                                const std::string& tls_key_hex, std::shared_ptr<AnswerSealer>& sealer,
                                                std::string& spot_salt);

// What a deterministic flag needs to hold once the body is open: a spot salt of 32 bytes, and a
// body that really is deterministic (else a client could make honest workers disagree and lose
// reputation); without the flag, no salt. nullopt when it holds.
std::optional<api::RequestRefusal> check_spot_flag(const proto::InferenceRequest& request, const nlohmann::json& body,
                                                   const std::string& spot_salt);

}  // namespace chrysalis::e2e
