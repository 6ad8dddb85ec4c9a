// Every tampered or non-conforming quote is refused with the reason naming the failed check.
#include <gtest/gtest.h>

#include "attest/quote/dev_ca.h"
#include "attest/quote/quote_builder.h"
#include "attest/quote/quote_testdata.h"
#include "attest/quote/quote_verifier.h"

namespace chrysalis::attest {
namespace {

using testing::read_test_quote;
using testing::sample_now;

QuoteVerification verify_intel(const Bytes& q) { return verify_quote(q, TrustAnchors::intel(), nullptr, sample_now()); }

Bytes flipped(Bytes q, size_t offset, uint8_t mask = 0x01) {
  q.at(offset) ^= mask;
  return q;
}

class AttestQuoteNegative : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    bytes = read_test_quote(GetParam());
    layout = parse_tdx_quote(bytes).layout;
  }
  void expect_refused(const Bytes& q, const std::string& code, const std::string& what) {
    auto r = verify_intel(q);
    EXPECT_FALSE(r.verified) << what;
    EXPECT_EQ(r.reason, code) << what << ": " << r.reason_text;
    EXPECT_FALSE(r.reason_text.empty()) << what;
  }
  Bytes bytes;
  QuoteLayout layout;
};

TEST_P(AttestQuoteNegative, FlippedBitInEachSectionIsRefused) {
  expect_refused(flipped(bytes, 30), reason::kQuoteSignature, "header user_data");
  expect_refused(flipped(bytes, 0), reason::kMalformed, "header version");
  expect_refused(flipped(bytes, 4, 0x02), reason::kMalformed, "header tee_type");
  expect_refused(flipped(bytes, 12), reason::kMalformed, "header qe_vendor_id");
  expect_refused(flipped(bytes, layout.body_offset + 136 + 5), reason::kQuoteSignature, "body MRTD");
  expect_refused(flipped(bytes, layout.body_offset + 520 + 63), reason::kQuoteSignature, "body REPORTDATA");
  expect_refused(flipped(bytes, layout.sig_data_offset + 4 + 10), reason::kQuoteSignature, "quote signature");
  expect_refused(flipped(bytes, layout.attestation_key_offset + 7), reason::kAttestationKeyBinding, "attestation key");
  expect_refused(flipped(bytes, layout.qe_report_offset + 128), reason::kQeReportSignature, "QE report MRSIGNER");
  expect_refused(flipped(bytes, layout.qe_report_offset + 320), reason::kQeReportSignature, "QE report REPORTDATA");
  expect_refused(flipped(bytes, layout.qe_report_sig_offset + 40), reason::kQeReportSignature, "QE report signature");
  expect_refused(flipped(bytes, layout.qe_auth_offset + 2 + 3), reason::kAttestationKeyBinding, "QE auth data");
}

TEST_P(AttestQuoteNegative, FlippedBitsInThePemChainAreRefused) {
  // A flip anywhere in the PEM breaks parsing or a signature: always a PCK chain failure.
  const size_t pem_size = layout.end - layout.pck_pem_offset;
  for (size_t at : {size_t(100), size_t(700), pem_size / 2, pem_size - 100}) {
    auto r = verify_intel(flipped(bytes, layout.pck_pem_offset + at, 0x04));
    EXPECT_FALSE(r.verified) << at;
    EXPECT_TRUE(r.reason == reason::kPckChainInvalid || r.reason == reason::kPckChainUntrusted)
        << at << ": " << r.reason;
  }
}

TEST_P(AttestQuoteNegative, TruncationAtEverySectionBoundaryIsMalformed) {
  const std::pair<size_t, const char*> cuts[] = {{0, "header"},
                                                 {20, "header"},
                                                 {kQuoteHeaderSize, "body"},
                                                 {layout.body_offset + 100, "body"},
                                                 {layout.sig_data_offset, "signature_data"},
                                                 {layout.sig_data_offset + 4, "signature_data"},
                                                 {layout.attestation_key_offset, "signature_data"},
                                                 {layout.cert_data_offset, "signature_data"},
                                                 {layout.qe_report_offset, "signature_data"},
                                                 {layout.qe_report_sig_offset, "signature_data"},
                                                 {layout.qe_auth_offset, "signature_data"},
                                                 {layout.pck_chain_offset, "signature_data"},
                                                 {layout.pck_pem_offset, "signature_data"},
                                                 {layout.end - 1, "signature_data"}};
  for (auto [cut, section] : cuts) {
    Bytes q(bytes.begin(), bytes.begin() + cut);
    auto r = verify_intel(q);
    EXPECT_FALSE(r.verified) << cut;
    EXPECT_EQ(r.reason, reason::kMalformed) << cut;
    EXPECT_EQ(r.reason_text.rfind(section, 0), 0u) << cut << ": " << r.reason_text;
  }
}

TEST_P(AttestQuoteNegative, LengthFieldsThatDisagreeAreMalformed) {
  Bytes q = bytes;
  q[layout.sig_data_offset] ^= 0x01;  // sig_data_len off by one
  EXPECT_EQ(verify_intel(q).reason, reason::kMalformed);
  q = bytes;
  q[layout.cert_data_offset + 2] ^= 0x02;  // certification data size
  EXPECT_EQ(verify_intel(q).reason, reason::kMalformed);
  q = bytes;
  q[layout.qe_auth_offset] = 0xFF;  // QE auth data size overruns
  EXPECT_EQ(verify_intel(q).reason, reason::kMalformed);
}

TEST_P(AttestQuoteNegative, OtherCertificationDataTypesAreRefused) {
  for (uint16_t type : {1, 2, 3, 4, 5, 7}) {
    Bytes q = bytes;
    q[layout.cert_data_offset] = uint8_t(type);
    auto r = verify_intel(q);
    EXPECT_EQ(r.reason, reason::kMalformed) << type;
    EXPECT_NE(r.reason_text.find("certification_data"), std::string::npos) << r.reason_text;
  }
  Bytes q = bytes;
  q[layout.pck_chain_offset] = 4;  // nested type: PCK leaf only
  EXPECT_NE(verify_intel(q).reason_text.find("pck_chain"), std::string::npos);
}

TEST_P(AttestQuoteNegative, TrailingBytesAreAllowedAndReported) {
  Bytes q = bytes;
  q.resize(q.size() + 123, 0xAB);
  auto r = verify_intel(q);
  EXPECT_TRUE(r.verified) << r.reason_text;
  EXPECT_EQ(r.quote->trailing_bytes, bytes.size() - layout.end + 123);
}

TEST_P(AttestQuoteNegative, ExpiredOrNotYetValidChainIsRefused) {
  auto r = verify_quote(bytes, TrustAnchors::intel(), nullptr, parse_rfc3339("2040-01-01T00:00:00Z"));
  EXPECT_EQ(r.reason, reason::kPckChainExpired);
  r = verify_quote(bytes, TrustAnchors::intel(), nullptr, parse_rfc3339("2024-01-01T00:00:00Z"));
  EXPECT_EQ(r.reason, reason::kPckChainExpired);
}

TEST_P(AttestQuoteNegative, NoTrustAnchorRefusesEvenIntel) {
  EXPECT_EQ(verify_quote(bytes, TrustAnchors::none(), nullptr, sample_now()).reason, reason::kPckChainUntrusted);
}

INSTANTIATE_TEST_SUITE_P(AttestQuoteSamples, AttestQuoteNegative,
                         ::testing::Values(testing::kQuoteV4, testing::kQuoteV5));

// ---- quotes built with the development CA ----

struct DevFixture {
  DevCa ca = create_dev_ca();
  TrustAnchors dev_only() const {
    TrustAnchors a;
    a.add(ca.root_cert);
    return a;
  }
  Bytes build(const TdReportBody& body, const QuoteBuildOptions& opt = {}) const {
    Fixed<64> rd{};
    rd.fill(0x42);
    return build_tdx_quote_v4(body, rd, ca.signing_material(), opt);
  }
};

TEST(AttestQuoteBuilt, DevQuoteVerifiesOnlyUnderTheDevRoot) {
  DevFixture f;
  Bytes q = f.build(default_td_body());
  auto ok = verify_quote(q, f.dev_only(), nullptr, std::chrono::system_clock::now());
  ASSERT_TRUE(ok.verified) << ok.reason << ": " << ok.reason_text;
  EXPECT_EQ(ok.quote->body.report_data[0], 0x42);
  EXPECT_EQ(to_hex(ok.pck->fmspc), "0090c3f00000");
  EXPECT_EQ(ok.pck->pce_svn, 11);
  // The same quote under Intel's root only: a chain that ends at a root other than Intel's.
  auto refused = verify_quote(q, TrustAnchors::intel(), nullptr, std::chrono::system_clock::now());
  EXPECT_EQ(refused.reason, reason::kPckChainUntrusted) << refused.reason_text;
}

TEST(AttestQuoteBuilt, ByteLayoutMatchesTheRealV4Sample) {
  DevFixture f;
  Bytes built = f.build(default_td_body());
  TdxQuote ours = parse_tdx_quote(built);
  TdxQuote real = parse_tdx_quote(read_test_quote(testing::kQuoteV4));
  EXPECT_EQ(ours.layout.signed_size, real.layout.signed_size);
  EXPECT_EQ(ours.layout.attestation_key_offset, real.layout.attestation_key_offset);
  EXPECT_EQ(ours.layout.qe_report_offset, real.layout.qe_report_offset);
  EXPECT_EQ(ours.layout.pck_chain_offset, real.layout.pck_chain_offset);
  EXPECT_EQ(ours.trailing_bytes, 0u);
}

TEST(AttestQuoteBuilt, DebugTdIsRefused) {
  DevFixture f;
  TdReportBody body = default_td_body();
  body.td_attributes |= kTdAttrDebug;
  auto r = verify_quote(f.build(body), f.dev_only(), nullptr, std::chrono::system_clock::now());
  EXPECT_EQ(r.reason, reason::kTdDebug) << r.reason_text;
}

TEST(AttestQuoteBuilt, TdAttributeAndSeamPolicies) {
  DevFixture f;
  auto now = std::chrono::system_clock::now();
  TdReportBody reserved = default_td_body();
  reserved.td_attributes |= 1u << 3;
  EXPECT_EQ(verify_quote(f.build(reserved), f.dev_only(), nullptr, now).reason, reason::kTdAttributes);
  TdReportBody no_sept = default_td_body();
  no_sept.td_attributes &= ~kTdAttrSeptVeDisable;
  EXPECT_EQ(verify_quote(f.build(no_sept), f.dev_only(), nullptr, now).reason, reason::kTdAttributes);
  TdReportBody seam = default_td_body();
  seam.mr_signer_seam[0] = 1;
  EXPECT_EQ(verify_quote(f.build(seam), f.dev_only(), nullptr, now).reason, reason::kSeamFields);
}

TEST(AttestQuoteBuilt, WrongQeIdentityIsRefused) {
  DevFixture f;
  QuoteBuildOptions opt;
  opt.qe_report.isv_prod_id = 1;  // the SGX QE, not the TD QE
  EXPECT_EQ(
      verify_quote(f.build(default_td_body(), opt), f.dev_only(), nullptr, std::chrono::system_clock::now()).reason,
      reason::kQeIdentity);
  opt = {};
  opt.qe_report.attributes[0] |= 0x02;  // DEBUG enclave
  EXPECT_EQ(
      verify_quote(f.build(default_td_body(), opt), f.dev_only(), nullptr, std::chrono::system_clock::now()).reason,
      reason::kQeIdentity);
}

TEST(AttestQuoteBuilt, QuoteSignedByAnotherAttestationKeyIsRefused) {
  DevFixture f;
  auto material = f.ca.signing_material();
  Bytes q = f.build(default_td_body());
  DevCa other = create_dev_ca();
  // Same PCK, but the QE report binds a different attestation key than the one in the quote.
  material.attestation_key = other.attestation_key;
  Bytes q2 = build_tdx_quote_v4(default_td_body(), {}, material);
  std::copy(q.begin() + 700, q.begin() + 764, q2.begin() + 700);
  EXPECT_EQ(verify_quote(q2, f.dev_only(), nullptr, std::chrono::system_clock::now()).reason,
            reason::kAttestationKeyBinding);
}

}  // namespace
}  // namespace chrysalis::attest

namespace chrysalis::attest {
namespace {

TEST(AttestQuoteBuilt, Version5QuotesWithBothBodies) {
  DevFixture f;
  TrustAnchors anchors = f.dev_only();
  for (bool td15 : {false, true}) {
    TdReportBody body = default_td_body();
    body.td15 = td15;
    body.mr_service_td.fill(0x5e);
    QuoteBuildOptions opt;
    opt.version = 5;
    Bytes q = build_tdx_quote(body, {}, f.ca.signing_material(), opt);
    auto r = verify_quote(q, anchors, nullptr, std::chrono::system_clock::now());
    ASSERT_TRUE(r.verified) << td15 << ": " << r.reason_text;
    EXPECT_EQ(r.quote->header.version, 5);
    EXPECT_EQ(r.quote->body_type, td15 ? kBodyTypeTd15 : kBodyTypeTd10);
    EXPECT_EQ(r.quote->layout.signed_size, td15 ? 702u : 638u);
    EXPECT_EQ(r.quote->body.mr_service_td[0], td15 ? 0x5e : 0);
    // The descriptor is signed: claiming the other body type breaks parsing or the signature.
    Bytes wrong_size = q;
    wrong_size[50] ^= 0x40;  // body size 584 <-> 648 mismatch with type
    EXPECT_EQ(verify_quote(wrong_size, anchors, nullptr, std::chrono::system_clock::now()).reason, reason::kMalformed);
    Bytes sgx = q;
    sgx[48] = 1;  // body type 1: an SGX report
    EXPECT_EQ(verify_quote(sgx, anchors, nullptr, std::chrono::system_clock::now()).reason, reason::kMalformed);
  }
}

}  // namespace
}  // namespace chrysalis::attest
