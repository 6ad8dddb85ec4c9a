#pragma once
// The hash of an answer's text that a worker signs in its receipt and a client (or anyone holding
// the text and the salt) checks: SHA-256("chrysalis-answer/1" || u8 len(salt) || salt || text).
// The text is every choice's content in the order the stream delivered it: chat chunks'
// `delta.content` and each streamed tool call's `function.name` and `function.arguments` pieces,
// completions' `text`; for embeddings, each vector as compact JSON, in order. E2E exchanges salt it
// with a secret both ends derive (crypto::E2eAnswerKeys::receipt_salt), so a proxy reading the receipt cannot test
// guesses.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "crypto/sha256.h"

namespace chrysalis::receipts {

class AnswerDigest {
 public:
  explicit AnswerDigest(std::string_view salt);
  // One streamed chunk's JSON text; text that is not a JSON object with `choices` adds nothing.
  void add_event(std::string_view event_json);
  // Text the app received, as is (receipt verify --answer).
  void add_text(std::string_view text);
  std::string finish() { return hash_.finish(); }

 private:
  crypto::Sha256Stream hash_;
};

// The text one streamed chunk adds to the answer (empty for anything else).
std::string answer_text_of(std::string_view event_json);
// The same for an event already parsed (the worker's shaper parsed it): what the text form gives.
std::string answer_text_of_parsed(const nlohmann::json& chunk);

// The hash of a whole answer text, in one call.
std::string answer_hash(std::string_view salt, std::string_view text);

}  // namespace chrysalis::receipts
