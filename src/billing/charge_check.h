#pragma once
// The client's check of what a proxy billed for one answer against the worker's signed receipt
// (receipts/README.md): never more than the worker's usage is worth at the network's prices, the
// nanoTON matching the tokens, and the proxy's countersignature saying the same as its bill.
#include <string>

#include "billing/pricing.h"
#include "chrysalis.pb.h"

namespace chrysalis::billing {

// Empty when the bill holds; else why not. `worker`: the verified receipt (null: none or invalid);
// `usage`: its usage, already held to the request's bound; `countersign`: null when absent.
std::string charge_problem(const proto::WorkerReceipt* worker, const proto::Usage& usage,
                           const proto::ProxyCountersign* countersign, const proto::Billing& billed,
                           const Prices& prices);

}  // namespace chrysalis::billing
