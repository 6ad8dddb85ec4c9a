#include "proxy/receipt_countersigner.h"

#include "common/time.h"
#include "receipts/receipt.h"

namespace chrysalis::proxy {

void ReceiptCountersigner::operator()(proto::Frame& frame) const {
  proto::Receipt* receipt = nullptr;
  const proto::Billing* billing = nullptr;
  if (frame.has_end() && frame.end().has_receipt()) {
    receipt = frame.mutable_end()->mutable_receipt();
    billing = &frame.end().billing();
  } else if (frame.has_error() && frame.error().has_receipt()) {
    receipt = frame.mutable_error()->mutable_receipt();
    billing = &frame.error().billing();
  }
  if (!receipt || receipt->worker().empty() || !receipt->proxy().empty()) return;
  proto::ProxyCountersign charge;
  charge.set_charged_tokens(billing->charged_tokens());
  charge.set_cost_nano(billing->cost_nano());
  charge.set_ledger_seqno(billing->ledger_seqno());
  charge.set_signed_ms(static_cast<uint64_t>(unix_now_us() / 1000));
  receipts::countersign(*receipt, std::move(charge), key_);
}

}  // namespace chrysalis::proxy
