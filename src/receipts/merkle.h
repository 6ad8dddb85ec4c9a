#pragma once
// The Merkle tree a proxy commits over its receipts (RFC 9162's tree hash: leaves hashed with a
// 0x00 prefix, inner nodes with 0x01, the left subtree the largest power of two), its audit paths,
// and checking a path against a root. Hashes are raw 32-byte SHA-256 strings.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chrysalis::receipts {

std::string merkle_leaf_hash(std::string_view leaf);
// The tree hash of `leaves` (SHA-256 of nothing when empty).
std::string merkle_root(const std::vector<std::string>& leaves);
// The sibling hashes from leaf `index` up to the root; index < leaves.size().
std::vector<std::string> merkle_path(const std::vector<std::string>& leaves, uint64_t index);
// Every leaf's path at once, in O(n log n) (merkle_path for each would be quadratic).
std::vector<std::vector<std::string>> merkle_all_paths(const std::vector<std::string>& leaves);
// True when `path` leads from `leaf` at `index` of a `count`-leaf tree to `root`.
bool merkle_path_holds(std::string_view leaf, uint64_t index, uint64_t count, const std::vector<std::string>& path,
                       std::string_view root);

}  // namespace chrysalis::receipts
