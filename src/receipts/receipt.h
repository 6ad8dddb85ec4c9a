#pragma once
// Signed receipts (README.md in this folder): the worker signs its account of an attempt with its
// attested TLS key; the proxy countersigns what it charged for it with its own. Each signature
// covers the exact bytes carried, so checking needs no re-encoding, and each is domain-separated.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "chrysalis.pb.h"
#include "ton/wallet/ed25519_key.h"

namespace chrysalis::receipts {

// A receipt carrying the worker's signed part (no countersignature yet).
proto::Receipt sign_worker_part(const proto::WorkerReceipt& worker, const ton::Ed25519Key& key);
// Adds the proxy's countersignature; worker_receipt_hash and proxy_key are filled here.
void countersign(proto::Receipt& receipt, proto::ProxyCountersign charge, const ton::Ed25519Key& key);

// What a checker knows independently of the receipt; each set field must match.
struct Expected {
  std::string worker_key;  // raw 32 bytes: the worker the checker verified (empty: take the receipt's)
  std::string proxy_key;   // raw 32 bytes: the proxy it talks to
  std::string request_id;
  std::string answer_hash;  // from the text the app got
  bool countersigned = true;
};

struct Opened {
  proto::WorkerReceipt worker;
  std::optional<proto::ProxyCountersign> proxy;  // present when countersigned
};

// Checks both signatures and `expected`; nullopt with `error` naming the field that failed
// (worker_signature, worker_key, request_id, answer_hash, proxy_signature, worker_receipt_hash, ...).
std::optional<Opened> open_receipt(const proto::Receipt& receipt, const Expected& expected, std::string& error);

// The file and API form: decoded fields for people and tools, and the signed bytes (base64) they
// were decoded from. `answer_salt` (raw) lets a holder of the answer text check answer_hash.
nlohmann::json receipt_json(const proto::Receipt& receipt, const std::string& answer_salt);
// Reads that form back: the signed receipt, the salt, and whether every decoded field still says
// what the signed bytes say (a changed field is named in `error`).
std::optional<proto::Receipt> receipt_from_json(const nlohmann::json& j, std::string& answer_salt, std::string& error);

// One line for logs and the demo: who served, what it used, what it cost.
std::string receipt_summary(const Opened& opened);

}  // namespace chrysalis::receipts
