#pragma once
// The proxy's half of a receipt (receipts/README.md): what it charged for the attempt the worker
// signed for, signed with the proxy's attested key, added to the end or error just before it goes
// to the client (after billing has filled in the charge).
#include "chrysalis.pb.h"
#include "ton/wallet/ed25519_key.h"

namespace chrysalis::proxy {

class ReceiptCountersigner {
 public:
  explicit ReceiptCountersigner(ton::Ed25519Key key) : key_(std::move(key)) {}
  // Countersigns the receipt of an end or error frame, if it carries one from the worker.
  void operator()(proto::Frame& frame) const;

 private:
  ton::Ed25519Key key_;
};

}  // namespace chrysalis::proxy
