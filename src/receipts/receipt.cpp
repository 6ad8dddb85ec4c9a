#include "receipts/receipt.h"

#include "common/hex.h"
#include "crypto/sha256.h"
#include "ton/cells/encoding.h"

namespace chrysalis::receipts {
namespace {

constexpr char kWorkerDomain[] = "chrysalis-receipt/worker/1";
constexpr char kProxyDomain[] = "chrysalis-receipt/proxy/1";
constexpr char kFormat[] = "chrysalis-receipt/1";

std::vector<uint8_t> domain_message(const char* domain, const std::string& bytes) {
  std::vector<uint8_t> m(domain, domain + std::char_traits<char>::length(domain));
  m.insert(m.end(), bytes.begin(), bytes.end());
  return m;
}

std::string sign(const char* domain, const std::string& bytes, const ton::Ed25519Key& key) {
  auto sig = key.sign(domain_message(domain, bytes));
  return {sig.begin(), sig.end()};
}

bool verify(const char* domain, const std::string& bytes, const std::string& key, const std::string& signature) {
  if (key.size() != 32 || signature.size() != 64) return false;
  ton::PublicKey pk;
  ton::Signature sig;
  std::copy(key.begin(), key.end(), pk.begin());
  std::copy(signature.begin(), signature.end(), sig.begin());
  auto m = domain_message(domain, bytes);
  return ton::ed25519_verify(pk, m, sig);
}

std::string raw_key(const ton::Ed25519Key& key) { return {key.public_key().begin(), key.public_key().end()}; }

nlohmann::json usage_json(const proto::Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens()},
          {"cached_tokens", u.cached_tokens()},
          {"completion_tokens", u.completion_tokens()},
          {"reasoning_tokens", u.reasoning_tokens()}};
}

nlohmann::json worker_json(const proto::WorkerReceipt& w) {
  nlohmann::json j{{"request_id", w.request_id()},           {"request_hash", hex_of(w.request_hash())},
                   {"answer_hash", hex_of(w.answer_hash())}, {"model_hash", w.model_hash()},
                   {"usage", usage_json(w.usage())},         {"coefficient", w.coefficient()},
                   {"started_ms", w.started_ms()},           {"ended_ms", w.ended_ms()},
                   {"worker_key", hex_of(w.worker_key())},   {"outcome", w.outcome()}};
  if (!w.spot_hash().empty()) j["spot_hash"] = hex_of(w.spot_hash());
  return j;
}

nlohmann::json proxy_json(const proto::ProxyCountersign& p) {
  return {{"worker_receipt_hash", hex_of(p.worker_receipt_hash())},
          {"charged_tokens", p.charged_tokens()},
          {"cost_nano", p.cost_nano()},
          {"ledger_seqno", p.ledger_seqno()},
          {"proxy_key", hex_of(p.proxy_key())},
          {"signed_ms", p.signed_ms()}};
}

// The first field of `claimed` that differs from `actual` (the decoded signed bytes), as a path.
std::optional<std::string> first_difference(const nlohmann::json& claimed, const nlohmann::json& actual,
                                            const std::string& path) {
  if (!claimed.is_object() || !actual.is_object()) {
    if (claimed != actual) return path;
    return std::nullopt;
  }
  for (auto it = claimed.begin(); it != claimed.end(); ++it) {
    std::string field = path + "." + it.key();
    auto a = actual.find(it.key());
    if (a == actual.end()) return field + " (no such field)";
    if (auto d = first_difference(it.value(), *a, field)) return d;
  }
  return std::nullopt;
}

}  // namespace

proto::Receipt sign_worker_part(const proto::WorkerReceipt& worker, const ton::Ed25519Key& key) {
  proto::Receipt r;
  r.set_worker(worker.SerializeAsString());
  r.set_worker_signature(sign(kWorkerDomain, r.worker(), key));
  return r;
}

void countersign(proto::Receipt& receipt, proto::ProxyCountersign charge, const ton::Ed25519Key& key) {
  charge.set_worker_receipt_hash(crypto::sha256(receipt.worker()));
  charge.set_proxy_key(raw_key(key));
  receipt.set_proxy(charge.SerializeAsString());
  receipt.set_proxy_signature(sign(kProxyDomain, receipt.proxy(), key));
}

std::optional<Opened> open_receipt(const proto::Receipt& receipt, const Expected& expected, std::string& error) {
  Opened out;
  if (!out.worker.ParseFromString(receipt.worker())) {
    error = "worker: the worker's part does not parse";
    return std::nullopt;
  }
  if (out.worker.worker_key().size() != 32) {
    error = "worker_key: not an Ed25519 key (" + std::to_string(out.worker.worker_key().size()) + " bytes)";
    return std::nullopt;
  }
  if (!verify(kWorkerDomain, receipt.worker(), out.worker.worker_key(), receipt.worker_signature())) {
    error = "worker_signature: does not verify with the worker key the receipt names";
    return std::nullopt;
  }
  if (!expected.worker_key.empty() && out.worker.worker_key() != expected.worker_key) {
    error = "worker_key: " + hex_of(out.worker.worker_key()) + " is not the worker that was verified (" +
            hex_of(expected.worker_key) + ")";
    return std::nullopt;
  }
  if (!expected.request_id.empty() && out.worker.request_id() != expected.request_id) {
    error = "request_id: '" + out.worker.request_id() + "' is not this request ('" + expected.request_id + "')";
    return std::nullopt;
  }
  if (!expected.answer_hash.empty() && out.worker.answer_hash() != expected.answer_hash) {
    error = "answer_hash: the worker signed " + hex_of(out.worker.answer_hash()) +
            " but the answer received hashes to " + hex_of(expected.answer_hash);
    return std::nullopt;
  }
  if (receipt.proxy().empty()) {
    if (expected.countersigned) {
      error = "proxy_signature: the receipt has no countersignature";
      return std::nullopt;
    }
    return out;
  }
  proto::ProxyCountersign p;
  if (!p.ParseFromString(receipt.proxy())) {
    error = "proxy: the proxy's part does not parse";
    return std::nullopt;
  }
  if (!verify(kProxyDomain, receipt.proxy(), p.proxy_key(), receipt.proxy_signature())) {
    error = "proxy_signature: does not verify with the proxy key the receipt names";
    return std::nullopt;
  }
  if (!expected.proxy_key.empty() && p.proxy_key() != expected.proxy_key) {
    error =
        "proxy_key: " + hex_of(p.proxy_key()) + " is not the proxy that answered (" + hex_of(expected.proxy_key) + ")";
    return std::nullopt;
  }
  if (p.worker_receipt_hash() != crypto::sha256(receipt.worker())) {
    error = "worker_receipt_hash: the proxy countersigned another worker receipt";
    return std::nullopt;
  }
  out.proxy = std::move(p);
  return out;
}

nlohmann::json receipt_json(const proto::Receipt& receipt, const std::string& answer_salt) {
  nlohmann::json j{{"format", kFormat}};
  proto::WorkerReceipt w;
  if (w.ParseFromString(receipt.worker())) j["worker"] = worker_json(w);
  proto::ProxyCountersign p;
  if (!receipt.proxy().empty() && p.ParseFromString(receipt.proxy())) j["proxy"] = proxy_json(p);
  j["answer_salt"] = hex_of(answer_salt);
  auto bytes = receipt.SerializeAsString();
  j["signed"] = ton::to_base64({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  return j;
}

std::optional<proto::Receipt> receipt_from_json(const nlohmann::json& j, std::string& answer_salt, std::string& error) {
  // Any field may hold any JSON type: read none with value(), which throws on a mismatch.
  auto format = j.is_object() ? j.find("format") : j.end();
  if (!j.is_object() || format == j.end() || !format->is_string() || format->get<std::string>() != kFormat) {
    error = std::string("format: not a ") + kFormat + " receipt";
    return std::nullopt;
  }
  proto::Receipt r;
  try {
    auto bytes = ton::from_base64(j.at("signed").get<std::string>());
    if (!r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) throw std::invalid_argument("does not parse");
    auto salt = from_hex(j.value("answer_salt", ""));
    answer_salt.assign(salt.begin(), salt.end());
  } catch (const std::exception& e) {
    error = std::string("signed: ") + e.what();
    return std::nullopt;
  }
  auto decoded = receipt_json(r, answer_salt);
  for (const char* part : {"worker", "proxy"}) {
    if (!j.contains(part)) continue;
    if (!decoded.contains(part)) {
      error = std::string(part) + ": present, but the signed receipt has no such part";
      return std::nullopt;
    }
    if (auto d = first_difference(j[part], decoded[part], part)) {
      error = *d + ": changed (it no longer says what the signed receipt says)";
      return std::nullopt;
    }
  }
  return r;
}

std::string receipt_summary(const Opened& o) {
  const auto& w = o.worker;
  std::string s = "worker " + hex_of(w.worker_key()).substr(0, 16) + "… model " + w.model_hash().substr(0, 16) + "… (" +
                  w.outcome() + "): prompt " + std::to_string(w.usage().prompt_tokens()) + ", completion " +
                  std::to_string(w.usage().completion_tokens()) + " tokens";
  if (o.proxy)
    s += "; charged " + std::to_string(o.proxy->charged_tokens()) +
         " tokens = " + std::to_string(o.proxy->cost_nano()) + " nanoTON (books seqno " +
         std::to_string(o.proxy->ledger_seqno()) + ")";
  return s;
}

}  // namespace chrysalis::receipts
