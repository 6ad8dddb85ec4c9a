#pragma once
// `chrysalis receipt verify --endpoint PROXY_URL`: asks the proxy for the receipt's inclusion proof
// (GET /receipts/{id}/proof), walks it from the receipt's own leaf to the committed state hash, and
// compares that with what the proxy contract holds on chain (get_proxy_data), whose key must be
// the key that countersigned. One result: passed, and a detail naming what failed or what was proven.
#include <string>

#include "receipts/receipt.h"

namespace chrysalis::cli {

struct InclusionResult {
  bool ok = false;
  std::string detail;
};

InclusionResult check_receipt_inclusion(const proto::Receipt& receipt, const receipts::Opened& opened,
                                        const std::string& proxy_url, const std::string& chain_endpoint);
// The same for any leaf the proxy put in its books under `id` (the reputation table's root, say),
// signed by the proxy key `proxy_key` (raw 32 bytes) that its contract on chain must hold.
InclusionResult check_leaf_inclusion(const std::string& id, const std::string& leaf, const std::string& proxy_key,
                                     const std::string& proxy_url, const std::string& chain_endpoint);

}  // namespace chrysalis::cli
