// The strict TDX quote parser on the two real samples, read independently at documented offsets.
#include <gtest/gtest.h>

#include "attest/quote/quote_testdata.h"
#include "attest/quote/tdx_quote.h"

namespace chrysalis::attest {
namespace {

using testing::kQuoteV4;
using testing::kQuoteV5;
using testing::read_test_quote;

template <size_t N>
std::string hex_at(const std::vector<uint8_t>& b, size_t off) {
  return to_hex(std::span<const uint8_t>(b.data() + off, N));
}

TEST(AttestQuoteParse, V4SampleFields) {
  auto bytes = read_test_quote(kQuoteV4);
  TdxQuote q = parse_tdx_quote(bytes);
  EXPECT_EQ(q.header.version, 4);
  EXPECT_EQ(q.body_type, kBodyTypeTd10);
  EXPECT_FALSE(q.body.td15);
  EXPECT_EQ(q.layout.signed_size, 632u);
  EXPECT_EQ(q.sig_data_len, 4300u);
  EXPECT_EQ(q.layout.end, 4936u);
  EXPECT_EQ(q.trailing_bytes, 70u);  // zero padding after the quote
  // Values read with a hex dump at the offsets of tdx-quotes.md §1.2.
  EXPECT_EQ(to_hex(q.body.mr_td),
            "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7");
  EXPECT_EQ(to_hex(q.body.mr_td), hex_at<48>(bytes, 184));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(to_hex(q.body.rtmr[i]), hex_at<48>(bytes, 376 + 48 * i));
  EXPECT_EQ(to_hex(q.body.report_data), hex_at<64>(bytes, 568));
  EXPECT_EQ(to_hex(q.body.tee_tcb_svn), "06010300000000000000000000000000");
  EXPECT_EQ(q.body.td_attributes, 0x10000000u);
  EXPECT_FALSE(q.debug());
  EXPECT_EQ(q.signature.cert_data_type, 6);
  EXPECT_EQ(q.signature.inner_cert_data_type, 5);
  EXPECT_EQ(q.signature.qe_auth_data.size(), 32u);
  EXPECT_EQ(q.signature.qe_report.isv_prod_id, 2);
  EXPECT_EQ(q.signature.qe_report.isv_svn, 6);
  EXPECT_EQ(to_hex(q.signature.qe_report.mr_signer),
            "dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5");
  EXPECT_NE(q.signature.pck_chain_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(q.signature.pck_chain_pem.back(), '\0');  // the NUL terminator is stripped
}

TEST(AttestQuoteParse, V5SampleFields) {
  auto bytes = read_test_quote(kQuoteV5);
  TdxQuote q = parse_tdx_quote(bytes);
  EXPECT_EQ(q.header.version, 5);
  EXPECT_EQ(q.body_type, kBodyTypeTd15);
  EXPECT_EQ(q.body_size, 648u);
  EXPECT_TRUE(q.body.td15);
  EXPECT_EQ(q.layout.body_offset, 54u);
  EXPECT_EQ(q.layout.signed_size, 702u);
  EXPECT_EQ(q.layout.end, bytes.size());
  EXPECT_EQ(q.trailing_bytes, 0u);
  EXPECT_EQ(to_hex(q.body.mr_td),
            "7348651a34b2d2d3462822e3a750ec6110125f36757c78480bbfc69cc0d21fb001a1ced3ee19747dda8f750c3bc8f876");
  EXPECT_EQ(to_hex(q.body.mr_td), hex_at<48>(bytes, 54 + 136));
  EXPECT_EQ(to_hex(q.body.tee_tcb_svn2), hex_at<16>(bytes, 54 + 584));
  EXPECT_EQ(to_hex(q.body.mr_service_td), hex_at<48>(bytes, 54 + 600));
  EXPECT_EQ(to_hex(q.body.tee_tcb_svn), "0b010400000000000000000000000000");
  EXPECT_EQ(q.signature.qe_report.isv_svn, 7);
}

TEST(AttestQuoteParse, ImageHashIsSha256OfMeasurementsAndZeroReportData) {
  auto bytes = read_test_quote(kQuoteV4);
  TdxQuote q = parse_tdx_quote(bytes);
  // Independent computation: MRTD..MRTD+384 bytes are MRTD, MRCONFIGID, MROWNER, MROWNERCONFIG and
  // RTMR0-3 contiguously in the body (quote offsets 184..568), then 64 zero bytes.
  std::vector<uint8_t> buf(bytes.begin() + 184, bytes.begin() + 568);
  buf.resize(448, 0);
  EXPECT_EQ(to_hex(image_hash(q.body)), to_hex(sha256(buf)));
}

}  // namespace
}  // namespace chrysalis::attest
