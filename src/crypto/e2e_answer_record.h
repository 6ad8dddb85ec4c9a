#pragma once
// One answer record of an e2e exchange: the worker's numbered, authenticated pieces of the answer,
// sealed under keys exported from the request's HPKE context (see README.md in this folder).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "crypto/hpke.h"

namespace chrysalis::crypto {

// The largest answer record plaintext. Bigger answers go in several records; the cap bounds what a
// client buffers before a record's tag is checked.
inline constexpr std::size_t kE2eMaxRecordPlaintext = 16 * 1024 * 1024;

// Bit 0 of a record's flags byte: the last record of the answer. Other bits must be zero.
inline constexpr uint8_t kE2eRecordFinal = 0x01;

// The answer's ChaCha20-Poly1305 key and base nonce, exported from the request's context so that
// both ends hold them and no one else does. Wiped when destroyed.
class E2eAnswerKeys {
 public:
  explicit E2eAnswerKeys(const HpkeContext& request_context);
  E2eAnswerKeys(const E2eAnswerKeys&) = default;
  E2eAnswerKeys(E2eAnswerKeys&&) = default;
  E2eAnswerKeys& operator=(const E2eAnswerKeys&) = default;
  E2eAnswerKeys& operator=(E2eAnswerKeys&&) = default;
  ~E2eAnswerKeys();

  // flags || ChaCha20-Poly1305(plaintext) for record `index`. Throws std::invalid_argument when the
  // plaintext is over kE2eMaxRecordPlaintext.
  std::string seal(uint64_t index, bool final, const std::string& plaintext) const;

  struct Opened {
    std::string plaintext;
    bool final = false;
  };
  // Record `index`, or nullopt with `error` naming the record and what is wrong with it.
  std::optional<Opened> open(uint64_t index, const std::string& record, std::string& error) const;

  // 32 bytes both ends hold: salts the answer hash in the worker's receipt, so the proxy that sees
  // the receipt cannot confirm a guessed answer (receipts/answer_digest.h).
  const std::string& receipt_salt() const { return receipt_salt_; }

 private:
  std::string key_;
  std::string base_nonce_;
  std::string receipt_salt_;
};

}  // namespace chrysalis::crypto
