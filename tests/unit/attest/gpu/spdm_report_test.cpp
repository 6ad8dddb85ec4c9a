// The SPDM report parser on the real H100 report: every field where the README puts it, and a
// refusal naming the section for every truncation and every length that does not add up.
#include <gtest/gtest.h>

#include "attest/gpu/spdm_report.h"
#include "gpu_testdata.h"

namespace chrysalis::attest::gpu {
namespace {

using namespace testing;

TEST(SpdmReport, TheRealReportParsesWhereTheReadmeSays) {
  Bytes bytes = real_report();
  ASSERT_EQ(bytes.size(), 4049u);
  SpdmReport r = parse_spdm_report(bytes);
  EXPECT_EQ(to_hex(r.request_nonce), "4cff7f5380ead8fad8ec2c531c110aca4302a88f603792801a8ca29ee151af2e");
  EXPECT_EQ(r.blocks.size(), 64u);
  EXPECT_EQ(r.blocks.front().index, 1);
  EXPECT_EQ(r.blocks.back().index, 64);
  for (const auto& b : r.blocks) EXPECT_EQ(b.value.size(), 48u);
  EXPECT_EQ(to_hex(r.responder_nonce).substr(0, 8), "1020ecb8");
  EXPECT_EQ(r.opaque.size(), 12u);
  EXPECT_EQ(r.signed_bytes, 3953u);
  EXPECT_EQ(r.driver_version, "545.00");
  EXPECT_EQ(r.vbios_version, "96.00.5E.00.01");
  EXPECT_EQ(r.vbios_rim_name(), "1010_0200_882_96005E0001");
  EXPECT_FALSE(r.fwid) << "this driver's reports carry no FWID";
  ASSERT_TRUE(r.nvdec0_status);
  EXPECT_EQ(*r.nvdec0_status, 0x55);
}

TEST(SpdmReport, EveryTruncationIsRefusedNamingWhatIsShort) {
  Bytes bytes = real_report();
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    std::span<const uint8_t> cut(bytes.data(), len);
    EXPECT_THROW(parse_spdm_report(cut), SpdmParseError) << "length " << len;
  }
  try {
    parse_spdm_report(std::span<const uint8_t>(bytes.data(), bytes.size() - 1));
    FAIL();
  } catch (const SpdmParseError& e) {
    EXPECT_NE(std::string(e.what()).find("95 bytes remain"), std::string::npos) << e.what();
  }
  Bytes longer = bytes;
  longer.push_back(0);
  EXPECT_THROW(parse_spdm_report(longer), SpdmParseError);
}

std::string parse_error(const Bytes& bytes) {
  try {
    parse_spdm_report(bytes);
  } catch (const SpdmParseError& e) {
    return e.what();
  }
  return "";
}

TEST(SpdmReport, LengthsThatDoNotAddUpAreRefused) {
  const Bytes real = real_report();
  Bytes b = real;
  b[41] = 63;  // one block fewer than the record holds
  EXPECT_NE(parse_error(b).find("unused"), std::string::npos) << parse_error(b);
  b = real;
  b[41] = 65;  // one block more
  EXPECT_NE(parse_error(b).find("measurement block"), std::string::npos) << parse_error(b);
  b = real;
  b[45 + 2] = 52;  // the first block's size, one more than its value fills
  EXPECT_NE(parse_error(b), "");
  b = real;
  b[3597] = static_cast<uint8_t>(b[3597] + 1);  // the opaque data length
  EXPECT_NE(parse_error(b), "");
  b = real;
  b[0] = 0x10;
  EXPECT_NE(parse_error(b).find("version"), std::string::npos);
  b = real;
  b[2] = 0x00;
  EXPECT_NE(parse_error(b).find("no signature"), std::string::npos);
  b = real;
  b[38] = 0x61;
  EXPECT_NE(parse_error(b).find("not MEASUREMENTS"), std::string::npos);
}

TEST(SpdmReport, AnOpaqueFieldTwiceIsRefused) {
  // Make the report's second opaque field (type 14, board id) another type 6 (VBIOS version).
  Bytes b = real_report();
  SpdmReport r = parse_spdm_report(b);
  std::size_t second = 3599 + 4 + r.opaque[0].value.size();
  ASSERT_EQ(load_le16(&b[second]), opaque::kBoardId);
  b[second] = opaque::kVbiosVersion;
  EXPECT_NE(parse_error(b).find("twice"), std::string::npos) << parse_error(b);
}

TEST(SpdmReport, HexTextAndRawBytesBothRead) {
  Bytes raw = real_report();
  EXPECT_EQ(report_bytes_from_file_text(std::string(raw.begin(), raw.end())), raw);
  EXPECT_EQ(report_bytes_from_file_text(to_hex(raw) + "\n"), raw);
}

}  // namespace
}  // namespace chrysalis::attest::gpu
