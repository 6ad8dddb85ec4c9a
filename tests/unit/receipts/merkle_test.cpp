// The receipts' Merkle tree: every leaf of trees of 1 to 40 leaves has a path that leads to the
// root, and any other leaf, index, sibling, path length or root fails. (The count shapes the walk
// but is not always bound by it: the commit's link hashes the count itself.)
#include "receipts/merkle.h"

#include <gtest/gtest.h>

#include "crypto/sha256.h"

namespace chrysalis::receipts {
namespace {

std::vector<std::string> leaves(size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back(crypto::sha256("leaf " + std::to_string(i)));
  return out;
}

TEST(ReceiptsMerkle, SmallTreesHashAsDefined) {
  auto l = leaves(3);
  EXPECT_EQ(merkle_root({}), crypto::sha256(""));
  EXPECT_EQ(merkle_root({l[0]}), merkle_leaf_hash(l[0]));
  auto node = [](const std::string& a, const std::string& b) { return crypto::sha256(std::string(1, '\x01') + a + b); };
  EXPECT_EQ(merkle_root({l[0], l[1]}), node(merkle_leaf_hash(l[0]), merkle_leaf_hash(l[1])));
  // Three leaves: the left subtree is the largest power of two (two leaves).
  EXPECT_EQ(merkle_root(l), node(node(merkle_leaf_hash(l[0]), merkle_leaf_hash(l[1])), merkle_leaf_hash(l[2])));
  EXPECT_NE(merkle_leaf_hash(l[0]), crypto::sha256(l[0])) << "leaves are domain-separated from inner nodes";
}

TEST(ReceiptsMerkle, EveryLeafOfEveryTreeUpTo40HasAPathToTheRoot) {
  for (size_t n = 1; n <= 40; ++n) {
    auto l = leaves(n);
    auto root = merkle_root(l);
    for (size_t i = 0; i < n; ++i) {
      auto path = merkle_path(l, i);
      EXPECT_TRUE(merkle_path_holds(l[i], i, n, path, root)) << n << " leaves, leaf " << i;
      EXPECT_FALSE(merkle_path_holds(l[i], i, i, path, root)) << "a count that leaves the index out";
      if (n > 1) {
        EXPECT_FALSE(merkle_path_holds(l[(i + 1) % n], i, n, path, root)) << "another leaf";
        EXPECT_FALSE(merkle_path_holds(l[i], (i + 1) % n, n, path, root)) << "another index";
      }
      if (!path.empty()) {
        auto bent = path;
        bent.back()[0] ^= 1;
        EXPECT_FALSE(merkle_path_holds(l[i], i, n, bent, root)) << "a changed sibling";
        bent = path;
        bent.pop_back();
        EXPECT_FALSE(merkle_path_holds(l[i], i, n, bent, root)) << "a shortened path";
      }
      EXPECT_FALSE(merkle_path_holds(l[i], i, n, path, crypto::sha256("other root")));
    }
  }
  EXPECT_THROW(merkle_path(leaves(3), 3), std::out_of_range);
  EXPECT_FALSE(merkle_path_holds(leaves(1)[0], 1, 1, {}, merkle_root(leaves(1))));
}

}  // namespace
}  // namespace chrysalis::receipts
