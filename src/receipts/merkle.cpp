#include "receipts/merkle.h"

#include <bit>
#include <stdexcept>

#include "crypto/sha256.h"

namespace chrysalis::receipts {
namespace {

std::string node_hash(std::string_view left, std::string_view right) {
  std::string m(1, '\x01');
  m.append(left).append(right);
  return crypto::sha256(m);
}

// Largest power of two below n (n >= 2).
uint64_t split_of(uint64_t n) { return std::bit_floor(n - 1); }

std::string subtree_root(const std::vector<std::string>& leaves, uint64_t begin, uint64_t end) {
  if (end - begin == 1) return merkle_leaf_hash(leaves[begin]);
  uint64_t k = split_of(end - begin);
  return node_hash(subtree_root(leaves, begin, begin + k), subtree_root(leaves, begin + k, end));
}

void collect_path(const std::vector<std::string>& leaves, uint64_t begin, uint64_t end, uint64_t index,
                  std::vector<std::string>& path) {
  if (end - begin <= 1) return;
  uint64_t k = split_of(end - begin);
  if (index < begin + k) {
    collect_path(leaves, begin, begin + k, index, path);
    path.push_back(subtree_root(leaves, begin + k, end));
  } else {
    collect_path(leaves, begin + k, end, index, path);
    path.push_back(subtree_root(leaves, begin, begin + k));
  }
}

// The subtree's root; every leaf's path gains the sibling of each subtree it is in, bottom up.
std::string subtree_with_paths(const std::vector<std::string>& leaves, uint64_t begin, uint64_t end,
                               std::vector<std::vector<std::string>>& paths) {
  if (end - begin == 1) return merkle_leaf_hash(leaves[begin]);
  uint64_t k = split_of(end - begin);
  std::string left = subtree_with_paths(leaves, begin, begin + k, paths);
  std::string right = subtree_with_paths(leaves, begin + k, end, paths);
  for (uint64_t i = begin; i < begin + k; ++i) paths[i].push_back(right);
  for (uint64_t i = begin + k; i < end; ++i) paths[i].push_back(left);
  return node_hash(left, right);
}

}  // namespace

std::vector<std::vector<std::string>> merkle_all_paths(const std::vector<std::string>& leaves) {
  std::vector<std::vector<std::string>> paths(leaves.size());
  if (!leaves.empty()) subtree_with_paths(leaves, 0, leaves.size(), paths);
  return paths;
}

std::string merkle_leaf_hash(std::string_view leaf) {
  std::string m(1, '\x00');
  m.append(leaf);
  return crypto::sha256(m);
}

std::string merkle_root(const std::vector<std::string>& leaves) {
  if (leaves.empty()) return crypto::sha256("");
  return subtree_root(leaves, 0, leaves.size());
}

std::vector<std::string> merkle_path(const std::vector<std::string>& leaves, uint64_t index) {
  if (index >= leaves.size()) throw std::out_of_range("merkle_path: leaf index past the tree");
  std::vector<std::string> path;
  collect_path(leaves, 0, leaves.size(), index, path);
  return path;
}

bool merkle_path_holds(std::string_view leaf, uint64_t index, uint64_t count, const std::vector<std::string>& path,
                       std::string_view root) {
  // RFC 9162 section 2.1.3.2, walking up from the leaf.
  if (index >= count) return false;
  uint64_t fn = index, sn = count - 1;
  std::string r = merkle_leaf_hash(leaf);
  for (const auto& p : path) {
    if (p.size() != 32 || sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      r = node_hash(p, r);
      if (!(fn & 1))
        while (fn != 0 && !(fn & 1)) fn >>= 1, sn >>= 1;
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

}  // namespace chrysalis::receipts
