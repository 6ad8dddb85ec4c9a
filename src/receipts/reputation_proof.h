#pragma once
// Reputation anyone can check (docs/reputation.md): a proxy's per-worker counters as Merkle leaves,
// the root signed by the proxy's attested key, and the check a client or anyone runs on the table
// before trusting a figure from it.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace chrysalis::receipts {

// A leaf's bytes: the domain, then the entry's subject, model and counters as canonical JSON
// (keys sorted, no spaces).
std::string reputation_leaf(const std::string& subject, const std::string& model, const nlohmann::json& counters);
// What the proxy signs: the domain, the root, the leaf count and the time (unix ms), big-endian.
std::string reputation_root_message(const std::string& root, uint64_t count, uint64_t generated_ms);
// The leaf the proxy puts into its books for a published table (SHA-256 of the signed message),
// under the id `reputation-<generated_ms>`, so the table's root is committed on chain with them.
std::string reputation_commit_leaf(const std::string& root, uint64_t count, uint64_t generated_ms);
std::string reputation_commit_id(uint64_t generated_ms);

// Empty when `table` (as GET /reputation serves it, maybe only some of its entries) holds: its
// signature by `proxy_key_hex` (empty: the key the table names) over its root, and every listed
// entry's proof from its leaf, at its index, to that root; else what failed, naming the entry.
std::string reputation_table_problem(const nlohmann::json& table, const std::string& proxy_key_hex = "");

}  // namespace chrysalis::receipts
