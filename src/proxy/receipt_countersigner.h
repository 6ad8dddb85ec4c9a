#pragma once
// The proxy's half of a receipt (receipts/README.md): what it charged for the attempt the worker
// signed for, signed with the proxy's attested key, added to the end or error just before it goes
// to the client (after billing has filled in the charge).
#include "billing/proxy_ledger.h"
#include "chrysalis.pb.h"
#include "ton/wallet/ed25519_key.h"

namespace chrysalis::proxy {

class ReceiptCountersigner {
 public:
  explicit ReceiptCountersigner(ton::Ed25519Key key) : key_(std::move(key)) {}
  // Countersigns the receipt of an end or error frame, if it carries one from the worker; returns
  // that receipt (null when there was none to sign).
  const proto::Receipt* operator()(proto::Frame& frame) const;

 private:
  ton::Ed25519Key key_;
};

// Puts a countersigned receipt's leaf into the books, for the next commit's tree. A failure to
// record is logged and counted by the ledger's stats, never stops the answer.
void record_receipt(billing::ProxyLedger& ledger, const proto::Receipt& receipt);

}  // namespace chrysalis::proxy
