#pragma once
// The end-to-end channel of one request attempt: the client seals the request body to the worker's
// attested X25519 key with HPKE; the worker opens it and seals each answer record back under keys
// exported from that same HPKE context. Proxies in between carry bytes they cannot read or alter.
#include <cstdint>
#include <optional>
#include <string>

#include "crypto/e2e_answer_record.h"
#include "crypto/hpke.h"

namespace chrysalis::crypto {

struct SealedRequest {
  std::string enc;         // the client's ephemeral X25519 public key
  std::string ciphertext;  // the request body, sealed
};

// `info` names the exchange (the caller composes request id, attempt, worker keys); it is HPKE's
// info, so a request sealed for one exchange opens in no other.
class E2eClientChannel {
 public:
  static E2eClientChannel seal_request(const X25519Key& worker_public, const std::string& info, const std::string& body,
                                       SealedRequest& out);

  // Opens the answer's next record. Records are numbered 0,1,2,... by the worker; the channel
  // expects them in order, so a dropped, reordered, replayed or altered record fails. `final` is
  // whether the worker marked it last. nullopt with `error` naming the record number when it does
  // not authenticate or comes after the final one; a failed record does not advance the channel.
  std::optional<std::string> open_record(const std::string& record, bool& final, std::string& error);
  // The final record has been opened.
  bool finished() const { return finished_; }
  uint64_t records_opened() const { return next_index_; }
  const std::string& receipt_salt() const { return keys_.receipt_salt(); }

 private:
  explicit E2eClientChannel(E2eAnswerKeys keys) : keys_(std::move(keys)) {}

  E2eAnswerKeys keys_;
  uint64_t next_index_ = 0;
  bool finished_ = false;
};

class E2eWorkerChannel {
 public:
  // nullopt with `error` when enc is malformed or the body does not authenticate (wrong key, other
  // info, altered).
  static std::optional<E2eWorkerChannel> open_request(const X25519KeyPair& worker_key, const std::string& info,
                                                      const SealedRequest& in, std::string& body, std::string& error);

  // The next answer record; throws std::logic_error after the final one, std::invalid_argument for a
  // plaintext over kE2eMaxRecordPlaintext.
  std::string seal_record(const std::string& plaintext, bool final);
  const std::string& receipt_salt() const { return keys_.receipt_salt(); }

 private:
  explicit E2eWorkerChannel(E2eAnswerKeys keys) : keys_(std::move(keys)) {}

  E2eAnswerKeys keys_;
  uint64_t next_index_ = 0;
  bool finished_ = false;
};

}  // namespace chrysalis::crypto
