#pragma once
// The worker's signed receipt for one attempt (receipts/README.md): it watches the frames the job
// sends, before they are sealed for the client, hashing the answer's text as it goes, and attaches
// the receipt, signed with the worker's attested key, to the end or the error.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chrysalis.pb.h"
#include "receipts/answer_digest.h"
#include "ton/wallet/ed25519_key.h"

namespace chrysalis::worker {

struct ReceiptFacts {
  std::string request_id;
  std::string request_hash;  // SHA-256 of what arrived: the sealed body (e2e) or the body
  std::string answer_salt;   // e2e: the exchange's receipt salt; empty in plaintext
  // The salt of the spot hash: empty in plaintext (the spot hash is then the answer hash), the
  // client's for a deterministic e2e request; nullopt: no spot hash.
  std::optional<std::string> spot_salt;
  std::string model_hash;  // hex, as attested
  uint32_t coefficient = 1000;
};

class ReceiptWriter {
 public:
  ReceiptWriter(ReceiptFacts facts, const ton::Ed25519Key& key, uint64_t started_ms);
  // A part's events go into the answer hash; an end or an error gets the signed receipt.
  void observe(proto::Frame& frame);
  // The answer texts of the next part's events, from the job that parsed them already: from the
  // first call on, parts are not parsed again here.
  void add_answer_texts(const std::vector<std::string>& texts);

 private:
  ReceiptFacts facts_;
  ton::Ed25519Key key_;
  uint64_t started_ms_;
  receipts::AnswerDigest digest_;
  std::optional<receipts::AnswerDigest> spot_digest_;  // when its salt differs from the answer's
  bool done_ = false;
  bool texts_given_ = false;
};

}  // namespace chrysalis::worker
