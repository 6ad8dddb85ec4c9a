#include "worker/receipt_writer.h"

#include "common/time.h"
#include "receipts/receipt.h"

namespace chrysalis::worker {

ReceiptWriter::ReceiptWriter(ReceiptFacts facts, const ton::Ed25519Key& key, uint64_t started_ms)
    : facts_(std::move(facts)), key_(key), started_ms_(started_ms), digest_(facts_.answer_salt) {
  if (facts_.spot_salt && *facts_.spot_salt != facts_.answer_salt) spot_digest_.emplace(*facts_.spot_salt);
}

void ReceiptWriter::add_answer_texts(const std::vector<std::string>& texts) {
  if (done_) return;
  texts_given_ = true;
  for (const auto& text : texts) {
    digest_.add_text(text);
    if (spot_digest_) spot_digest_->add_text(text);
  }
}

void ReceiptWriter::observe(proto::Frame& frame) {
  if (done_) return;
  if (frame.has_part()) {
    if (texts_given_) return;
    for (const auto& event : frame.part().events()) {
      std::string text = receipts::answer_text_of(event);  // parsed once for both hashes
      digest_.add_text(text);
      if (spot_digest_) spot_digest_->add_text(text);
    }
    return;
  }
  if (!frame.has_end() && !frame.has_error()) return;
  done_ = true;
  proto::WorkerReceipt r;
  r.set_request_id(facts_.request_id);
  r.set_request_hash(facts_.request_hash);
  r.set_answer_hash(digest_.finish());
  if (spot_digest_)
    r.set_spot_hash(spot_digest_->finish());
  else if (facts_.spot_salt)
    r.set_spot_hash(r.answer_hash());
  r.set_model_hash(facts_.model_hash);
  r.set_coefficient(facts_.coefficient);
  r.set_started_ms(started_ms_);
  r.set_ended_ms(static_cast<uint64_t>(unix_now_us() / 1000));
  r.set_worker_key(std::string(key_.public_key().begin(), key_.public_key().end()));
  if (frame.has_end()) {
    *r.mutable_usage() = frame.end().usage();
    r.set_outcome(frame.end().finish_reason().empty() ? "stop" : frame.end().finish_reason());
    *frame.mutable_end()->mutable_receipt() = receipts::sign_worker_part(r, key_);
  } else {
    *r.mutable_usage() = frame.error().usage();
    r.set_outcome(frame.error().code());
    *frame.mutable_error()->mutable_receipt() = receipts::sign_worker_part(r, key_);
  }
}

}  // namespace chrysalis::worker
