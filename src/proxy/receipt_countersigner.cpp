#include "proxy/receipt_countersigner.h"

#include <spdlog/spdlog.h>

#include "common/time.h"
#include "receipts/receipt.h"
#include "receipts/receipt_proof.h"

namespace chrysalis::proxy {

const proto::Receipt* ReceiptCountersigner::operator()(proto::Frame& frame) const {
  proto::Receipt* receipt = nullptr;
  const proto::Billing* billing = nullptr;
  if (frame.has_end() && frame.end().has_receipt()) {
    receipt = frame.mutable_end()->mutable_receipt();
    billing = &frame.end().billing();
  } else if (frame.has_error() && frame.error().has_receipt()) {
    receipt = frame.mutable_error()->mutable_receipt();
    billing = &frame.error().billing();
  }
  if (!receipt || receipt->worker().empty() || !receipt->proxy().empty()) return nullptr;
  proto::ProxyCountersign charge;
  charge.set_charged_tokens(billing->charged_tokens());
  charge.set_cost_nano(billing->cost_nano());
  charge.set_ledger_seqno(billing->ledger_seqno());
  charge.set_signed_ms(static_cast<uint64_t>(unix_now_us() / 1000));
  receipts::countersign(*receipt, std::move(charge), key_);
  return receipt;
}

void record_receipt(billing::ProxyLedger& ledger, const proto::Receipt& receipt) {
  proto::WorkerReceipt worker;
  if (!worker.ParseFromString(receipt.worker())) return;  // the proxy checked it already; never happens
  try {
    ledger.record_receipt(worker.request_id(), receipts::receipt_leaf(receipt));
  } catch (const std::exception& e) {
    spdlog::error("rid={} receipt not recorded for the next commit: {}", worker.request_id(), e.what());
  }
}

}  // namespace chrysalis::proxy
