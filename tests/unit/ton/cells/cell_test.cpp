// CellBuilder / CellSlice / Cell: round trips, limits and clear errors (no vectors needed).
#include <gtest/gtest.h>

#include "ton/cells/boc.h"
#include "ton/cells/cell.h"

namespace chrysalis::ton {
namespace {

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const CellError& e) {
    return e.what();
  }
  return "no error";
}

TEST(TonCell, EmptyCellHasTheWellKnownHash) {
  EXPECT_EQ(Cell::empty()->hash_hex(), "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7");
  EXPECT_EQ(Cell::empty()->depth(), 0);
  EXPECT_EQ(CellBuilder().end_cell()->hash(), Cell::empty()->hash());
}

TEST(TonCell, IntegersRoundTripAtEveryWidth) {
  for (unsigned bits = 1; bits <= 64; ++bits) {
    uint64_t max = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    int64_t min_signed = bits == 64 ? INT64_MIN : -(int64_t{1} << (bits - 1));
    auto cell = CellBuilder().store_uint(max, bits).store_int(min_signed, bits).store_int(-1, bits).end_cell();
    CellSlice s(cell);
    EXPECT_EQ(s.load_uint(bits), max) << bits;
    EXPECT_EQ(s.load_int(bits), min_signed) << bits;
    EXPECT_EQ(s.load_int(bits), -1) << bits;
    s.end_parse();
  }
}

TEST(TonCell, BigIntegersFromBytes) {
  Bytes big = from_hex("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
  auto cell = CellBuilder().store_uint_be(big, 256).store_int(-2, 257).store_uint(7, 200).end_cell();
  CellSlice s(cell);
  EXPECT_EQ(to_hex(s.load_uint256()), to_hex(big));
  Bytes minus_two = s.load_uint_be(257);
  EXPECT_EQ(minus_two.size(), 33u);
  EXPECT_EQ(minus_two.front(), 0x01);  // the 257th (sign) bit
  EXPECT_EQ(minus_two.back(), 0xfe);
  Bytes seven = s.load_uint_be(200);
  EXPECT_EQ(seven.back(), 7);
  EXPECT_EQ(std::count(seven.begin(), seven.end(), 0), 24);
  // Signed from bytes: 0xff80 = -128 fits in 8 bits; 0x0080 = +128 does not.
  EXPECT_EQ(CellSlice(CellBuilder().store_int_be(from_hex("ff80"), 8).end_cell()).load_int(8), -128);
  EXPECT_NE(error_of([] { CellBuilder().store_int_be(from_hex("0080"), 8); }).find("does not fit"), std::string::npos);
  EXPECT_NE(error_of([] { CellBuilder().store_uint_be(Bytes(32, 0xff), 255); }).find("does not fit"),
            std::string::npos);
  EXPECT_NO_THROW(CellBuilder().store_uint_be(big, 249));  // 0x01… has 249 significant bits
  EXPECT_THROW(CellBuilder().store_uint_be(big, 248), CellOverflow);
}

TEST(TonCell, ValuesThatDoNotFitAreRefused) {
  EXPECT_NE(error_of([] { CellBuilder().store_uint(256, 8); }).find("does not fit in 8 bits"), std::string::npos);
  EXPECT_NE(error_of([] { CellBuilder().store_int(128, 8); }).find("does not fit"), std::string::npos);
  EXPECT_NE(error_of([] { CellBuilder().store_int(-129, 8); }).find("does not fit"), std::string::npos);
  EXPECT_NO_THROW(CellBuilder().store_int(-128, 8));
}

TEST(TonCell, BuilderLimitsAre1023BitsAnd4Refs) {
  CellBuilder b;
  b.store_bits(Bytes(128, 0xff), 1023);
  EXPECT_EQ(b.remaining_bits(), 0u);
  EXPECT_THROW(b.store_bit(true), CellOverflow);
  CellBuilder r;
  for (int i = 0; i < 4; ++i) r.store_ref(Cell::empty());
  EXPECT_NE(error_of([&] { r.store_ref(Cell::empty()); }).find("refs"), std::string::npos);
  EXPECT_THROW(CellBuilder().store_ref(nullptr), CellOverflow);
  EXPECT_THROW(Cell::make(Bytes(128), 1024), CellOverflow);
}

TEST(TonCell, SliceUnderflowSaysWhatIsMissing) {
  auto cell = CellBuilder().store_uint(5, 10).end_cell();
  CellSlice s(cell);
  EXPECT_EQ(error_of([&] { s.load_uint(11); }), "cell slice underflow: need 11 bits, 10 left");
  EXPECT_EQ(s.remaining_bits(), 10u);  // a failed load consumes nothing
  EXPECT_NE(error_of([&] { s.load_ref(); }).find("need a reference"), std::string::npos);
  EXPECT_NE(error_of([&] { s.end_parse(); }).find("10 bits and 0 refs left"), std::string::npos);
  EXPECT_EQ(s.load_uint(10), 5u);
  EXPECT_NO_THROW(s.end_parse());
}

TEST(TonCell, CoinsAreVarUInteger16) {
  auto cell = CellBuilder().store_coins(0).store_coins(1'000'000'000).store_coins(~uint64_t{0}).end_cell();
  EXPECT_EQ(cell->bit_size(), 4u + (4 + 32) + (4 + 64));
  CellSlice s(cell);
  EXPECT_EQ(s.load_coins(), 0u);
  EXPECT_EQ(s.load_coins(), 1'000'000'000u);
  EXPECT_EQ(s.load_coins(), ~uint64_t{0});
  Bytes big(15, 0xff);
  auto big_cell = CellBuilder().store_coins_be(big).end_cell();
  EXPECT_EQ(to_hex(CellSlice(big_cell).load_coins_be()), to_hex(big));
  EXPECT_NE(error_of([&] { CellSlice(big_cell).load_coins(); }).find("exceeds 64 bits"), std::string::npos);
  EXPECT_THROW(CellBuilder().store_coins_be(Bytes(16, 1)), CellOverflow);
}

TEST(TonCell, AddressesStdAndNone) {
  Address a{-1, {}};
  a.hash.fill(0xab);
  auto cell = CellBuilder().store_address(a).store_address_none().store_address(std::optional<Address>{}).end_cell();
  EXPECT_EQ(cell->bit_size(), 267u + 2 + 2);
  CellSlice s(cell);
  EXPECT_EQ(s.load_address(), a);
  EXPECT_FALSE(s.load_address_opt().has_value());
  EXPECT_NE(error_of([&] { s.load_address(); }).find("addr_none"), std::string::npos);
  // addr_extern$01 is refused with its name.
  EXPECT_NE(error_of([] {
              CellSlice(CellBuilder().store_uint(1, 2).store_uint(0, 9).end_cell()).load_address_opt();
            }).find("addr_extern"),
            std::string::npos);
}

TEST(TonCell, RefsMaybeRefsAndDepth) {
  auto leaf = CellBuilder().store_uint(1, 1).end_cell();
  auto mid = CellBuilder().store_ref(leaf).store_maybe_ref(nullptr).store_maybe_ref(leaf).end_cell();
  auto root = CellBuilder().store_ref(mid).store_ref(leaf).end_cell();
  EXPECT_EQ(leaf->depth(), 0);
  EXPECT_EQ(mid->depth(), 1);
  EXPECT_EQ(root->depth(), 2);
  CellSlice s(mid);
  EXPECT_EQ(s.load_ref()->hash(), leaf->hash());
  EXPECT_EQ(s.load_maybe_ref(), nullptr);
  EXPECT_EQ(s.load_maybe_ref()->hash(), leaf->hash());
  s.end_parse();
}

TEST(TonCell, StoreSliceCopiesTheRestUnaligned) {
  auto src = CellBuilder().store_uint(0b101, 3).store_uint(0xdeadbeef, 32).store_ref(Cell::empty()).end_cell();
  CellSlice s(src);
  s.skip_bits(3);
  auto copy = CellBuilder().store_bit(true).store_slice(s).end_cell();
  CellSlice c(copy);
  EXPECT_TRUE(c.load_bit());
  EXPECT_EQ(c.load_uint(32), 0xdeadbeefu);
  EXPECT_EQ(c.load_ref()->hash(), Cell::empty()->hash());
  c.end_parse();
}

TEST(TonCell, BitsTextMatchesFiftNotation) {
  EXPECT_EQ(CellBuilder().store_uint(0b101, 3).end_cell()->bits_text(), "B_");
  EXPECT_EQ(CellBuilder().store_uint(0xA, 4).end_cell()->bits_text(), "A");
  EXPECT_EQ(CellBuilder().store_uint(0xAB, 8).end_cell()->bits_text(), "AB");
  EXPECT_EQ(CellBuilder().store_uint(0b10101, 5).end_cell()->bits_text(), "AC_");
  EXPECT_EQ(Cell::empty()->bits_text(), "");
}

TEST(TonCell, MakeClearsBitsBeyondTheLength) {
  Bytes data{0xff};
  EXPECT_EQ(Cell::make(data, 3)->hash(), CellBuilder().store_uint(7, 3).end_cell()->hash());
}

}  // namespace
}  // namespace chrysalis::ton
