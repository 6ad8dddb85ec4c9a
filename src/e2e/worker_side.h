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
// other; `sealer` then seals the answer. A refusal names what failed (code e2e_unreadable:
// the body was not sealed for this worker or was altered).
std::optional<api::RequestRefusal> open_request(proto::InferenceRequest& request, const crypto::X25519KeyPair& key,
                                                const std::string& tls_key_hex, std::shared_ptr<AnswerSealer>& sealer);

}  // namespace chrysalis::e2e
