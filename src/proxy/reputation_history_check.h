#pragma once
// The check a client or `chrysalis reputation verify` runs on the histories a proxy serves with
// its reputation table (reputation_event.h): each entry's kept events, replayed from the entry's
// base, must give exactly the counters, event count and head of the entry's signed leaf, and each
// event's evidence must support it.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace chrysalis::proxy {

struct HistoryCheck {
  uint64_t entries = 0;     // entries whose history was replayed
  uint64_t events = 0;      // events checked
  uint64_t receipts = 0;    // events backed by a worker's signed receipt
  uint64_t proxy_word = 0;  // failures with no receipt: the proxy's own observation
  std::string problem;      // empty: everything held; else the entry and event that failed, and why
  nlohmann::json json() const;
};

// Checks every entry of `table` that carries a `history`; `proxy_key_hex` is the key of the proxy
// that signed the table (owner proofs name it). Call after reputation_table_problem has accepted
// the table: this binds the histories to the signed leaves, not the leaves to the root.
HistoryCheck check_histories(const nlohmann::json& table, const std::string& proxy_key_hex);

}  // namespace chrysalis::proxy
