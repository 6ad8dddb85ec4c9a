#include "crypto/e2e_answer_record.h"

#include <stdexcept>

#include "crypto/chacha20_poly1305.h"
#include "crypto/cleanse.h"

namespace chrysalis::crypto {
namespace {

// The associated data binds the record's number and flags: moving a record or flipping its final
// bit breaks the tag.
std::string record_aad(uint64_t index, uint8_t flags) {
  std::string aad = "chrysalis-e2e answer";
  for (int shift = 56; shift >= 0; shift -= 8) aad.push_back(static_cast<char>((index >> shift) & 0xff));
  aad.push_back(static_cast<char>(flags));
  return aad;
}

}  // namespace

E2eAnswerKeys::E2eAnswerKeys(const HpkeContext& request_context)
    : key_(request_context.export_secret("chrysalis-e2e answer key", kChaChaKeySize)),
      base_nonce_(request_context.export_secret("chrysalis-e2e answer nonce", kChaChaNonceSize)),
      receipt_salt_(request_context.export_secret("chrysalis-e2e receipt salt", 32)) {}

E2eAnswerKeys::~E2eAnswerKeys() {
  cleanse(key_);
  cleanse(base_nonce_);
  cleanse(receipt_salt_);
}

std::string E2eAnswerKeys::seal(uint64_t index, bool final, const std::string& plaintext) const {
  if (plaintext.size() > kE2eMaxRecordPlaintext) throw std::invalid_argument("e2e answer record over 16 MiB");
  uint8_t flags = final ? kE2eRecordFinal : 0;
  return static_cast<char>(flags) +
         chacha20_poly1305_seal(key_, nonce_for_sequence(base_nonce_, index), record_aad(index, flags), plaintext);
}

std::optional<E2eAnswerKeys::Opened> E2eAnswerKeys::open(uint64_t index, const std::string& record,
                                                         std::string& error) const {
  // Named only when it fails: a record is opened per event.
  auto name = [index] { return "e2e answer record " + std::to_string(index); };
  if (record.size() < 1 + kChaChaTagSize) {
    error = name() + " is too short";
    return std::nullopt;
  }
  if (record.size() > 1 + kE2eMaxRecordPlaintext + kChaChaTagSize) {
    error = name() + " is over 16 MiB";
    return std::nullopt;
  }
  uint8_t flags = static_cast<uint8_t>(record[0]);
  if (flags & ~kE2eRecordFinal) {
    error = name() + " has unknown flags";
    return std::nullopt;
  }
  auto plaintext = chacha20_poly1305_open(key_, nonce_for_sequence(base_nonce_, index), record_aad(index, flags),
                                          std::string_view(record).substr(1));
  if (!plaintext) {
    error = name() + " does not authenticate (altered, dropped, reordered, replayed or from another exchange)";
    return std::nullopt;
  }
  return Opened{std::move(*plaintext), (flags & kE2eRecordFinal) != 0};
}

}  // namespace chrysalis::crypto
