#pragma once
// The client's check of what a proxy billed for one answer against the worker's signed receipt
// (receipts/README.md): never more than the worker's usage is worth at the network's prices, the
// nanoTON matching the tokens, and the proxy's countersignature saying the same as its bill.
#include <string>

#include "billing/pricing.h"
#include "chrysalis.pb.h"

namespace chrysalis::billing {

// What the client itself received of an answer whose worker could sign nothing (it vanished
// mid-answer): the events it got and the prompt as announced, at the worker's coefficient.
struct ReceivedBound {
  proto::Usage usage;
  uint32_t coefficient = 0;
};

// Empty when the bill holds; else why not. `worker`: the verified receipt (null: none or invalid);
// `usage`: its usage, already held to the request's bound; `countersign`: null when absent.
// Without a receipt nothing may be charged, except up to `received` when given.
std::string charge_problem(const proto::WorkerReceipt* worker, const proto::Usage& usage,
                           const proto::ProxyCountersign* countersign, const proto::Billing& billed,
                           const Prices& prices, const ReceivedBound* received = nullptr);

}  // namespace chrysalis::billing
