// Bag-of-cells: round trips and refusal of malformed / hostile input, built byte by byte.
#include <gtest/gtest.h>

#include <random>

#include "ton/cells/boc.h"

namespace chrysalis::ton {
namespace {

std::string error_of(const Bytes& bytes, const BocLimits& limits = {}) {
  try {
    deserialize_boc(bytes, limits);
  } catch (const BocError& e) {
    return e.what();
  }
  return "no error";
}

// A BoC from raw cell bytes: generic magic, 1-byte refs and offsets, no index, optional CRC.
Bytes make_boc(const std::vector<Bytes>& cells, bool crc = false, unsigned roots = 1, unsigned absent = 0,
               std::vector<uint8_t> root_list = {0}) {
  Bytes data;
  for (const auto& c : cells) data.insert(data.end(), c.begin(), c.end());
  Bytes out = from_hex("b5ee9c72");
  out.push_back(static_cast<uint8_t>((crc ? 0x40 : 0) | 1));
  out.push_back(1);
  out.push_back(static_cast<uint8_t>(cells.size()));
  out.push_back(static_cast<uint8_t>(roots));
  out.push_back(static_cast<uint8_t>(absent));
  out.push_back(static_cast<uint8_t>(data.size()));
  out.insert(out.end(), root_list.begin(), root_list.end());
  out.insert(out.end(), data.begin(), data.end());
  if (crc) {
    uint32_t v = crc32c(out);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  return out;
}

TEST(TonBoc, HandBuiltBocParses) {
  // root: 8 bits 0xab, one ref -> leaf: 4 bits 1010 (padded 0xa8).
  auto roots = deserialize_boc(make_boc({from_hex("0102ab01"), from_hex("0001a8")}, true));
  ASSERT_EQ(roots.size(), 1u);
  EXPECT_EQ(roots[0]->bit_size(), 8u);
  EXPECT_EQ(roots[0]->refs()[0]->bit_size(), 4u);
  EXPECT_EQ(roots[0]->refs()[0]->bits_text(), "A");
  auto expected = CellBuilder().store_uint(0xab, 8).store_ref(CellBuilder().store_uint(0xa, 4).end_cell()).end_cell();
  EXPECT_EQ(roots[0]->hash(), expected->hash());
}

TEST(TonBoc, RoundTripsWithEveryOptionAndSeveralRoots) {
  auto shared = CellBuilder().store_uint(0x1234, 16).end_cell();
  auto a = CellBuilder().store_uint(1, 3).store_ref(shared).end_cell();
  auto b = CellBuilder().store_ref(shared).store_ref(a).end_cell();
  for (bool index : {false, true})
    for (bool crc : {false, true}) {
      Bytes bytes = serialize_boc({a, b}, {.index = index, .crc32c = crc});
      auto roots = deserialize_boc(bytes);
      ASSERT_EQ(roots.size(), 2u);
      EXPECT_EQ(roots[0]->hash(), a->hash());
      EXPECT_EQ(roots[1]->hash(), b->hash());
    }
  EXPECT_THROW(deserialize_boc_single(serialize_boc({a, b})), BocError);
  EXPECT_EQ(boc_from_base64(boc_to_base64(b))->hash(), b->hash());
  EXPECT_EQ(deserialize_boc_single(boc_bytes_from_text("  " + to_hex(serialize_boc(b)) + "\n"))->hash(), b->hash());
}

TEST(TonBoc, OldIndexedMagicIsRead) {
  // 0x68ff65f3: size, off_bytes, cells, roots, absent, total, index, data (root = cell 0).
  Bytes bytes = from_hex(
      "68ff65f3"
      "01"
      "01"
      "01"
      "01"
      "00"
      "03"
      "03"
      "0002ab");
  EXPECT_EQ(deserialize_boc_single(bytes)->hash(), CellBuilder().store_uint(0xab, 8).end_cell()->hash());
}

TEST(TonBoc, HeaderProblemsAreNamed) {
  Bytes good = make_boc({from_hex("0002ab")});
  EXPECT_NE(error_of(from_hex("deadbeef00")).find("bad magic deadbeef"), std::string::npos);
  EXPECT_NE(error_of(from_hex("b5ee")).find("truncated"), std::string::npos);
  Bytes bad = good;
  bad[4] = 0x00;  // ref size 0
  EXPECT_NE(error_of(bad).find("reference size 0"), std::string::npos);
  bad[4] = 0x05;
  EXPECT_NE(error_of(bad).find("reference size 5"), std::string::npos);
  bad = good;
  bad[4] = 0x09;  // reserved flag bit
  EXPECT_NE(error_of(bad).find("reserved flag"), std::string::npos);
  bad = good;
  bad[4] = 0x21;  // cache bits without index
  EXPECT_NE(error_of(bad).find("cache bits"), std::string::npos);
  bad = good;
  bad[5] = 0;  // offset size 0
  EXPECT_NE(error_of(bad).find("offset size 0"), std::string::npos);
  bad[5] = 9;
  EXPECT_NE(error_of(bad).find("offset size 9"), std::string::npos);
}

TEST(TonBoc, CountsBeyondLimitsAreRefused) {
  // 4-byte counts claiming 4 billion cells.
  Bytes huge = from_hex(
      "b5ee9c7204"
      "01"
      "ffffffff"
      "00000001"
      "00000000"
      "ff");
  EXPECT_NE(error_of(huge).find("exceeds the limit"), std::string::npos);
  EXPECT_NE(error_of(make_boc({from_hex("0002ab")}, false, 2, 0, {0, 0})).find("root count 2 exceeds its cell count 1"),
            std::string::npos);
  EXPECT_NE(error_of(make_boc({from_hex("0002ab")}, false, 0, 0, {})).find("no roots"), std::string::npos);
  EXPECT_NE(error_of(make_boc({from_hex("0002ab")}, false, 1, 1)).find("absent"), std::string::npos);
  EXPECT_NE(error_of(make_boc({from_hex("0002ab")}, false, 1, 0, {1})).find("root index 1"), std::string::npos);
  Bytes two = make_boc({from_hex("0002ab01"), from_hex("0000")});
  EXPECT_NE(error_of(two, {.max_cells = 1}).find("exceeds the limit of 1"), std::string::npos);
  EXPECT_NE(error_of(two, {.max_bytes = 8}).find("exceeds the limit of 8"), std::string::npos);
  Bytes total_too_big = make_boc({from_hex("0002ab")});
  total_too_big[9] = 200;  // total cell size beyond the input
  EXPECT_NE(error_of(total_too_big).find("total cell size"), std::string::npos);
}

TEST(TonBoc, BackwardAndSelfReferencesAreRefused) {
  EXPECT_NE(error_of(make_boc({from_hex("010000")})).find("backward reference or cycle"), std::string::npos);  // self
  // cell 1 points back to cell 0: a cycle 0 -> 1 -> 0.
  EXPECT_NE(error_of(make_boc({from_hex("010001"), from_hex("010000")})).find("backward reference or cycle"),
            std::string::npos);
  EXPECT_NE(error_of(make_boc({from_hex("010005")})).find("reference to cell 5 of 1"), std::string::npos);
}

TEST(TonBoc, DescriptorProblemsAreRefused) {
  EXPECT_NE(error_of(make_boc({from_hex("080100")})).find("exotic cell"), std::string::npos);
  EXPECT_NE(error_of(make_boc({from_hex("0500")})).find("5 references"), std::string::npos);
  EXPECT_NE(error_of(make_boc({from_hex("0700")})).find("absent cells"), std::string::npos);
  EXPECT_NE(error_of(make_boc({from_hex("2000")})).find("level mask"), std::string::npos);
  // Odd d2 = padded data: last byte 0x00 has no completion tag; 0x80 pads a whole byte.
  EXPECT_NE(error_of(make_boc({from_hex("000100")})).find("no completion tag"), std::string::npos);
  EXPECT_NE(error_of(make_boc({from_hex("000180")})).find("padding a whole byte"), std::string::npos);
  EXPECT_NO_THROW(deserialize_boc(make_boc({from_hex("000140")})));  // one bit: 0
}

TEST(TonBoc, StoredHashesAreChecked) {
  auto leaf = CellBuilder().store_uint(0xab, 8).end_cell();
  Bytes cell = from_hex("1002");
  cell.insert(cell.end(), leaf->hash().begin(), leaf->hash().end());
  cell.push_back(0);
  cell.push_back(0);
  cell.push_back(0xab);
  EXPECT_EQ(deserialize_boc_single(make_boc({cell}))->hash(), leaf->hash());
  Bytes wrong_depth = cell;
  wrong_depth[35] = 1;
  EXPECT_NE(error_of(make_boc({wrong_depth})).find("bad depth: stored depth 1"), std::string::npos);
  Bytes wrong_hash = cell;
  wrong_hash[2] ^= 1;
  EXPECT_NE(error_of(make_boc({wrong_hash})).find("stored hash"), std::string::npos);
}

TEST(TonBoc, TooDeepTreesAreRefused) {
  // 1026 cells in a chain (depth 1025) with 2-byte references.
  const size_t n = 1026;
  Bytes data;
  for (size_t i = 0; i < n; ++i) {
    if (i + 1 < n) {
      data.insert(data.end(), {0x01, 0x00, static_cast<uint8_t>((i + 1) >> 8), static_cast<uint8_t>(i + 1)});
    } else {
      data.insert(data.end(), {0x00, 0x00});
    }
  }
  Bytes boc = from_hex(
      "b5ee9c7202"
      "02");
  boc.insert(boc.end(), {static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n), 0, 1, 0, 0,
                         static_cast<uint8_t>(data.size() >> 8), static_cast<uint8_t>(data.size()), 0, 0});
  boc.insert(boc.end(), data.begin(), data.end());
  EXPECT_NE(error_of(boc).find("bad depth"), std::string::npos);
}

TEST(TonBoc, IntegrityProblemsAreRefused) {
  Bytes good = make_boc({from_hex("0102ab01"), from_hex("0001a8")}, true);
  Bytes corrupt = good;
  corrupt[12] ^= 0x01;
  EXPECT_NE(error_of(corrupt).find("CRC32C mismatch"), std::string::npos);
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_NE(error_of(trailing).find("trailing"), std::string::npos);
  Bytes truncated(good.begin(), good.end() - 1);
  EXPECT_NE(error_of(truncated).find("truncated"), std::string::npos);
  // Declared total larger than the cells use: the last byte is left over inside the cell data.
  EXPECT_NE(error_of(make_boc({from_hex("0002ab"), from_hex("00")}, false, 1)).find("truncated"), std::string::npos);
  Bytes leftover = make_boc({from_hex("0002abff")});
  leftover[3 + 6] = 4;
  EXPECT_NE(error_of(leftover).find("beyond its 1 cells"), std::string::npos);
  // An index entry that does not match the cell.
  Bytes indexed = serialize_boc(CellBuilder().store_uint(0xab, 8).end_cell(), {.index = true, .crc32c = false});
  indexed[11] ^= 1;
  EXPECT_NE(error_of(indexed).find("index entry 0"), std::string::npos);
}

TEST(TonBoc, RandomCorruptionNeverCrashes) {
  auto leaf = CellBuilder().store_uint(0x1234, 13).end_cell();
  auto root = CellBuilder()
                  .store_uint(7, 32)
                  .store_ref(leaf)
                  .store_ref(CellBuilder().store_ref(leaf).store_coins(5).end_cell())
                  .end_cell();
  std::mt19937 rng(42);
  for (bool crc : {false, true}) {
    Bytes good = serialize_boc(root, {.index = !crc, .crc32c = crc});
    size_t parsed = 0, refused = 0;
    for (int round = 0; round < 3000; ++round) {
      Bytes b = good;
      int flips = 1 + static_cast<int>(rng() % 3);
      for (int i = 0; i < flips; ++i) b[rng() % b.size()] = static_cast<uint8_t>(rng());
      if (rng() % 8 == 0) b.resize(rng() % b.size());
      try {
        deserialize_boc(b);
        ++parsed;
      } catch (const BocError&) {
        ++refused;
      }
    }
    EXPECT_GT(refused, 0u);
    if (crc) {
      EXPECT_LT(parsed, 10u);  // the CRC catches nearly everything
    }
  }
}

}  // namespace
}  // namespace chrysalis::ton
