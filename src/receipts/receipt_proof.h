#pragma once
// Proof that a receipt is in the books a proxy committed on chain (README.md, "Inclusion").
// Each commit of the proxy's ledger absorbs "commit" || link into its hash chain, where
//   link_k = SHA-256("chrysalis-receipts-link/1" || link_{k-1} || root_k || u64 count_k)
// and root_k is the Merkle root (merkle.h) of the receipt leaves recorded since commit k-1. So the
// one (seqno, hash) the proxy contract holds proves every receipt of every commit up to it: the
// proof gives the leaf's path to its root, the links from there to the newest commit, and the
// chain hash before that commit.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chrysalis.pb.h"

namespace chrysalis::receipts {

// SHA-256("chrysalis-receipt-leaf/1" || Receipt.proxy): the countersigned bytes already bind the
// worker's receipt (its hash), the charge and the ledger seqno.
std::string receipt_leaf(const proto::Receipt& receipt);
std::string receipts_link(std::string_view prev_link, std::string_view root, uint64_t count);
// What a commit adds to the ledger's hash chain.
std::vector<uint8_t> commit_marker(std::string_view link);

struct ReceiptProof {
  std::string request_id;
  std::string leaf;  // raw 32 bytes
  // The commit whose tree holds the leaf.
  uint64_t commit_seqno = 0, index = 0, count = 0;
  std::vector<std::string> path;
  std::string root, prev_link;
  // Every later commit's tree, up to the newest one the proxy saw on chain.
  struct Later {
    uint64_t seqno = 0;
    std::string root;
    uint64_t count = 0;
  };
  std::vector<Later> later;
  // The newest commit the proxy saw on chain: its seqno, the chain hash before it, and its hash.
  uint64_t chain_seqno = 0;
  std::string chain_prev_hash, chain_hash;
  std::string proxy_contract;  // where that commit is held (address text; empty on a free network)
};

nlohmann::json proof_json(const ReceiptProof& proof);
std::optional<ReceiptProof> proof_from_json(const nlohmann::json& j, std::string& error);

// Walks from `leaf` through the proof to the committed state hash; nullopt with `error` naming the
// step that fails (leaf, merkle_path, chain_hash). The caller compares the result with the chain.
std::optional<std::string> committed_hash_of(const ReceiptProof& proof, std::string_view leaf, std::string& error);

}  // namespace chrysalis::receipts
