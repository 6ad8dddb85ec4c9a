// Receipts on the client (receipts/README.md): the worker's signature is checked against the worker
// this client verified itself (e2e) or the certificate the receipt carries (checked against our
// own policy), the answer hash against the text relayed to the app, the proxy's countersignature
// against the proxy we talk to, and the charge against the worker's signed usage at the network's
// prices. A proxy that bills more is dropped: this client stops paying through it, saying why.
#include <spdlog/spdlog.h>

#include "client/client_billing.h"
#include "client/client_node.h"
#include "client/completion.h"
#include "common/hex.h"
#include "common/time.h"
#include "receipts/receipt.h"
#include "ton/cells/encoding.h"

namespace chrysalis::client {
namespace {

std::string raw_of_hex(const std::string& hex) {
  if (hex.size() != 64) return {};
  try {
    auto bytes = from_hex(hex);
    return {bytes.begin(), bytes.end()};
  } catch (const std::exception&) {
    return {};
  }
}

std::string base64_of(const std::string& raw) {
  return ton::to_base64({reinterpret_cast<const uint8_t*>(raw.data()), raw.size()});
}

}  // namespace

void ClientNode::start_digest(Completion& c) {
  c.answer_salt = c.exchange ? c.exchange->answer_salt() : std::string();
  c.digest.emplace(c.answer_salt);
}

void ClientNode::take_receipt(Completion& c, const proto::Receipt* receipt, const proto::Usage& usage,
                              const proto::Billing* billing, bool worker_vanished) {
  std::string problem;
  std::optional<receipts::Opened> opened;
  std::string certificate;
  std::optional<e2e::VerifiedWorker> verified;  // the worker as this client checked it
  if (!receipt || receipt->worker().empty()) {
    problem = worker_vanished ? "the worker vanished mid-answer and signed nothing; its charge was held to what this "
                                "client received"
                              : "the answer came without a worker receipt";
  } else {
    receipts::Expected expected;
    expected.request_id = c.rid;
    expected.proxy_key = raw_of_hex(c.conn->peer_identity().public_key_hex);
    if (c.digest) expected.answer_hash = c.digest->finish();
    c.digest.reset();
    const e2e::VerifiedWorker* sealed_for = c.exchange ? c.exchange->worker() : nullptr;
    if (sealed_for) {
      expected.worker_key = raw_of_hex(sealed_for->public_key_hex);
      certificate = sealed_for->certificate;
      verified = *sealed_for;
    }
    opened = receipts::open_receipt(*receipt, expected, problem);
    if (opened && !sealed_for) {  // plaintext: the receipt's certificate, checked by our own policy
      certificate = receipt->worker_certificate();
      e2e::VerifiedWorker worker;
      std::string reason;
      if (!check_worker(certificate, c.vr.model, worker, reason))
        problem = "worker_certificate: " + reason;
      else if (raw_of_hex(worker.public_key_hex) != opened->worker.worker_key())
        problem = "worker_certificate: it is not the certificate of the key that signed the receipt";
      if (!problem.empty()) opened.reset();
      verified = worker;
    }
  }
  if (opened && problem.empty() && verified) verified_workers_.record(c.vr.model, *verified, unix_now_us() / 1000);
  if (opened) {
    metrics_.add("receipts", {{"result", "verified"}});
  } else {
    metrics_.add("receipts", {{"result", "rejected"}});
    spdlog::warn("rid={} receipt rejected: {}", c.rid, problem);
  }
  if (billing && billing_) {
    proto::Usage signed_usage = opened ? bounded_usage(c, opened->worker.usage()) : usage;
    // A worker that vanished mid-answer signed nothing: it is paid for what reached this client
    // (e2e: records only it could have sealed), the prompt as announced (a continuation's: none).
    billing::ReceivedBound received;
    bool continued = c.resume && c.resume->resumes();
    received.usage.set_prompt_tokens(continued ? 0
                                     : c.head.prompt_tokens() ? c.head.prompt_tokens()
                                                              : c.request_frame.request().prompt_tokens_estimate());
    received.usage.set_completion_tokens(c.part_events);
    received.coefficient = std::min(c.head.coefficient(), c.vr.max_coefficient);
    std::string why = billing_->check_charge(opened ? &opened->worker : nullptr, signed_usage,
                                             opened && opened->proxy ? &*opened->proxy : nullptr, *billing,
                                             !opened && worker_vanished ? &received : nullptr);
    if (!why.empty()) {
      metrics_.add("overcharges", {});
      billing_->drop_proxy(*c.conn, why);
      if (problem.empty()) problem = "charge: " + why;
    }
  }
  nlohmann::json j = receipt ? receipts::receipt_json(*receipt, c.answer_salt) : nlohmann::json::object();
  j["verified"] = problem.empty();
  if (!problem.empty()) j["problem"] = problem;
  if (opened) j["summary"] = receipts::receipt_summary(*opened);
  if (!certificate.empty()) j["worker_certificate"] = base64_of(certificate);
  j["received_ms"] = unix_now_us() / 1000;
  c.receipt = j;
  if (receipt) c.headers.emplace_back("X-Chrysalis-Receipt", base64_of(receipt->SerializeAsString()));
  ++receipts_seen_;
  receipts_.push_back(std::move(j));
  while (receipts_.size() > config_.receipts_kept) receipts_.pop_front();
}

nlohmann::json ClientNode::receipts_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : receipts_) list.push_back(r);
  return {{"kept", receipts_.size()}, {"limit", config_.receipts_kept}, {"seen", receipts_seen_}, {"receipts", list}};
}

}  // namespace chrysalis::client
