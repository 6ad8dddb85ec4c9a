// Hex, base64 and the two checksums against published check values.
#include <gtest/gtest.h>

#include "ton/cells/encoding.h"

namespace chrysalis::ton {
namespace {

Bytes ascii(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(TonEncoding, ChecksumsMatchTheirCheckValues) {
  EXPECT_EQ(crc32c(ascii("123456789")), 0xE3069283u);   // CRC-32C check value
  EXPECT_EQ(crc16_xmodem(ascii("123456789")), 0x31C3);  // CRC-16/XMODEM check value
}

TEST(TonEncoding, Base64BothAlphabetsAndPadding) {
  Bytes b{0xfb, 0xff, 0xbf};
  EXPECT_EQ(to_base64(b), "+/+/");
  EXPECT_EQ(to_base64(b, true), "-_-_");
  EXPECT_EQ(from_base64("-_-_"), b);
  EXPECT_EQ(to_base64(ascii("ab")), "YWI=");
  EXPECT_EQ(from_base64("YWI="), ascii("ab"));
  EXPECT_EQ(from_base64("YWI"), ascii("ab"));
  EXPECT_THROW(from_base64("Y"), std::invalid_argument);
  EXPECT_THROW(from_base64("YW I"), std::invalid_argument);
}

TEST(TonEncoding, HexRejectsOddAndNonHex) {
  EXPECT_EQ(to_hex(from_hex("00Ff10")), "00ff10");
  EXPECT_THROW(from_hex("abc"), std::invalid_argument);
  EXPECT_THROW(from_hex("zz"), std::invalid_argument);
}

}  // namespace
}  // namespace chrysalis::ton
