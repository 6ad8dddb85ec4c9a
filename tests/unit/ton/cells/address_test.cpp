// Address text forms: parsing, printing and the errors for bad input.
#include <gtest/gtest.h>

#include "ton/cells/address.h"
#include "ton/cells/encoding.h"

namespace chrysalis::ton {
namespace {

// A well-known address (TON Foundation's "EQCD39VS5jcptHL8vMjEXrzGaRcCVYto7HUn4bpAOg8xqB2N").
constexpr const char* kRaw = "0:83dfd552e63729b472fcbcc8c45ebcc6691702558b68ec7527e1ba403a0f31a8";
constexpr const char* kFriendly = "EQCD39VS5jcptHL8vMjEXrzGaRcCVYto7HUn4bpAOg8xqB2N";

std::string error_of(std::string_view text) {
  try {
    parse_address_text(text);
  } catch (const AddressError& e) {
    return e.what();
  }
  return "no error";
}

TEST(TonAddress, RawAndFriendlyAgree) {
  Address a = Address::parse(kRaw);
  EXPECT_EQ(a.to_friendly(), kFriendly);
  EXPECT_EQ(Address::parse(kFriendly), a);
  EXPECT_EQ(a.to_raw(), kRaw);
  ParsedAddress p = parse_address_text(kFriendly);
  EXPECT_TRUE(p.friendly && p.bounceable && !p.testnet);
}

TEST(TonAddress, FlagsSurviveEveryForm) {
  Address a = Address::parse(kRaw);
  for (bool bounceable : {true, false})
    for (bool testnet : {true, false})
      for (bool url_safe : {true, false}) {
        ParsedAddress p = parse_address_text(a.to_friendly(bounceable, testnet, url_safe));
        EXPECT_EQ(p.address, a);
        EXPECT_EQ(p.bounceable, bounceable);
        EXPECT_EQ(p.testnet, testnet);
      }
  Address master = Address::parse("-1:" + std::string(64, 'f'));
  EXPECT_EQ(master.workchain, -1);
  EXPECT_EQ(Address::parse(master.to_friendly(false, true)), master);
  EXPECT_EQ(Address::parse("0:" + std::string(64, 'A')).to_raw(), "0:" + std::string(64, 'a'));
}

TEST(TonAddress, CorruptedFriendlyAddressFailsItsCrc) {
  std::string bad = kFriendly;
  bad[10] = bad[10] == 'A' ? 'B' : 'A';
  EXPECT_NE(error_of(bad).find("CRC16 mismatch"), std::string::npos);
}

TEST(TonAddress, BadInputIsNamed) {
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of("EQCD39VS5jcptHL8").find("48 characters"), std::string::npos);
  EXPECT_NE(error_of("0:1234").find("64 hex digits"), std::string::npos);
  EXPECT_NE(error_of("0:" + std::string(63, 'a') + "g").find("non-hex"), std::string::npos);
  EXPECT_NE(error_of("x:" + std::string(64, 'a')).find("not an integer"), std::string::npos);
  EXPECT_NE(error_of("300:" + std::string(64, 'a')).find("outside -128..127"), std::string::npos);
  EXPECT_NE(error_of(std::string(47, 'A') + "!").find("bad character"), std::string::npos);
  // Tag 0x22 with a valid CRC: refused for its tag.
  Bytes raw(36, 0);
  raw[0] = 0x22;
  uint16_t crc = crc16_xmodem(std::span(raw).first(34));
  raw[34] = static_cast<uint8_t>(crc >> 8);
  raw[35] = static_cast<uint8_t>(crc);
  EXPECT_NE(error_of(to_base64(raw, true)).find("unknown tag byte 0x22"), std::string::npos);
  EXPECT_NE(error_of("EQCD39VS5jcptHL8vMjEXrzGaRcCVYto7HUn4bpAOg8xq+_N").find("mixes"), std::string::npos);
}

}  // namespace
}  // namespace chrysalis::ton
