#include "crypto/e2e_channel.h"

#include <limits>
#include <stdexcept>

namespace chrysalis::crypto {
namespace {

// The request's associated data: a domain label, so its ciphertext is never mistaken for other HPKE uses.
const std::string kRequestAad = "chrysalis-e2e request";

}  // namespace

E2eClientChannel E2eClientChannel::seal_request(const X25519Key& worker_public, const std::string& info,
                                                const std::string& body, SealedRequest& out) {
  HpkeSenderSetup setup = hpke_setup_sender(worker_public, info);
  out.enc = setup.enc;
  out.ciphertext = setup.context.seal(kRequestAad, body);
  return E2eClientChannel(E2eAnswerKeys(setup.context));
}

std::optional<std::string> E2eClientChannel::open_record(const std::string& record, bool& final, std::string& error) {
  if (finished_) {
    error = "e2e answer record " + std::to_string(next_index_) + " comes after the final record";
    return std::nullopt;
  }
  auto opened = keys_.open(next_index_, record, error);
  if (!opened) return std::nullopt;
  ++next_index_;
  finished_ = opened->final;
  final = opened->final;
  return std::move(opened->plaintext);
}

std::optional<E2eWorkerChannel> E2eWorkerChannel::open_request(const X25519KeyPair& worker_key, const std::string& info,
                                                               const SealedRequest& in, std::string& body,
                                                               std::string& error) {
  auto context = hpke_setup_recipient(worker_key, in.enc, info);
  if (!context) {
    error = "e2e request: enc is not a usable X25519 public key";
    return std::nullopt;
  }
  auto opened = context->open(kRequestAad, in.ciphertext);
  if (!opened) {
    error = "e2e request does not authenticate (other worker key or exchange, or altered)";
    return std::nullopt;
  }
  body = std::move(*opened);
  return E2eWorkerChannel(E2eAnswerKeys(*context));
}

std::string E2eWorkerChannel::seal_record(const std::string& plaintext, bool final) {
  if (finished_) throw std::logic_error("e2e answer record after the final one");
  // Record numbers are nonces: they may never repeat.
  if (next_index_ == std::numeric_limits<uint64_t>::max()) throw std::logic_error("e2e answer record limit reached");
  std::string record = keys_.seal(next_index_, final, plaintext);
  ++next_index_;
  finished_ = final;
  return record;
}

}  // namespace chrysalis::crypto
