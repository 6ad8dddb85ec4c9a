// Collateral (TDX TCB info, QE identity, CRLs) through the same code path as Intel's, signed here by
// a test root: Intel's real collateral is not available offline.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "attest/quote/collateral.h"
#include "attest/quote/dev_ca.h"
#include "attest/quote/quote_builder.h"
#include "attest/quote/quote_testdata.h"
#include "attest/quote/quote_verifier.h"

namespace chrysalis::attest {
namespace {

using Clock = std::chrono::system_clock;

std::string components(const std::vector<int>& svns) {
  std::string out = "[";
  for (size_t i = 0; i < 16; ++i) {
    if (i) out += ",";
    out += "{\"svn\":" + std::to_string(i < svns.size() ? svns[i] : 0) + ",\"category\":\"BIOS\",\"type\":\"\"}";
  }
  return out + "]";
}

// TCB info for the development PCK (FMSPC 0090c3f00000): level 1 needs TEE_TCB_SVN[2] >= 5 (the
// default quote has 3), level 2 matches it and is OutOfDate.
std::string tcb_info_text(const std::string& next_update = "2099-01-01T00:00:00Z",
                          const std::string& fmspc = "0090C3F00000") {
  const std::string sgx = components({2, 2, 2, 2, 3, 1, 0, 3});
  return R"({"id":"TDX","version":3,"issueDate":"2025-01-01T00:00:00Z","nextUpdate":")" + next_update +
         R"(","fmspc":")" + fmspc +
         R"(","pceId":"0000","tcbType":0,"tcbEvaluationDataNumber":17,)"
         R"("tdxModule":{"mrsigner":")" +
         std::string(96, '0') +
         R"(","attributes":"0000000000000000","attributesMask":"FFFFFFFFFFFFFFFF"},)"
         R"("tdxModuleIdentities":[{"id":"TDX_01","mrsigner":")" +
         std::string(96, '0') +
         R"(","attributes":"0000000000000000","attributesMask":"FFFFFFFFFFFFFFFF","tcbLevels":[)"
         R"({"tcb":{"isvsvn":6},"tcbDate":"2024-03-13T00:00:00Z","tcbStatus":"UpToDate"}]}],)"
         R"("tcbLevels":[)"
         R"({"tcb":{"sgxtcbcomponents":)" +
         sgx + R"(,"pcesvn":11,"tdxtcbcomponents":)" + components({6, 1, 5}) +
         R"(},"tcbDate":"2024-03-13T00:00:00Z","tcbStatus":"UpToDate"},)"
         R"({"tcb":{"sgxtcbcomponents":)" +
         sgx + R"(,"pcesvn":11,"tdxtcbcomponents":)" + components({6, 1, 3}) +
         R"(},"tcbDate":"2023-08-09T00:00:00Z","tcbStatus":"OutOfDate","advisoryIDs":["INTEL-SA-00837"]}]})";
}

std::string qe_identity_text(int min_isvsvn = 4) {
  return R"({"id":"TD_QE","version":2,"issueDate":"2025-01-01T00:00:00Z","nextUpdate":"2099-01-01T00:00:00Z",)"
         R"("tcbEvaluationDataNumber":17,"miscselect":"00000000","miscselectMask":"FFFFFFFF",)"
         R"("attributes":"11000000000000000000000000000000","attributesMask":"FBFFFFFFFFFFFFFF0000000000000000",)"
         R"("mrsigner":"DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5","isvprodid":2,)"
         R"("tcbLevels":[{"tcb":{"isvsvn":)" +
         std::to_string(min_isvsvn) + R"(},"tcbDate":"2024-03-13T00:00:00Z","tcbStatus":"UpToDate"}]})";
}

std::string crl_pem(X509* issuer, EVP_PKEY* key, X509* revoked) {
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer));
  ASN1_TIME* t = ASN1_TIME_set(nullptr, Clock::to_time_t(Clock::now() - std::chrono::hours(1)));
  X509_CRL_set1_lastUpdate(crl, t);
  ASN1_TIME_set(t, Clock::to_time_t(Clock::now() + std::chrono::hours(24 * 30)));
  X509_CRL_set1_nextUpdate(crl, t);
  ASN1_TIME_free(t);
  if (revoked) {
    X509_REVOKED* r = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked));
    ASN1_TIME* when = ASN1_TIME_set(nullptr, Clock::to_time_t(Clock::now() - std::chrono::hours(1)));
    X509_REVOKED_set_revocationDate(r, when);
    ASN1_TIME_free(when);
    X509_CRL_add0_revoked(crl, r);
  }
  X509_CRL_sort(crl);
  X509_CRL_sign(crl, key, EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_CRL(bio, crl);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, size_t(len));
  BIO_free(bio);
  X509_CRL_free(crl);
  return out;
}

std::string json_string(const std::string& s) { return nlohmann::json(s).dump(); }

struct CollateralFixture {
  DevCa ca = create_dev_ca();
  std::shared_ptr<EVP_PKEY> signer_key = share(generate_p256_key());
  std::shared_ptr<X509> signer;  // "TCB Signing" certificate under the dev root

  CollateralFixture() {
    CertificateSpec spec;
    spec.common_name = "Chrysalis Test TCB Signing";
    signer = issue_certificate(spec, signer_key.get(), ca.root_cert.get(), ca.root_key.get());
  }
  TrustAnchors anchors() const {
    TrustAnchors a;
    a.add(ca.root_cert);
    return a;
  }
  std::string sign_hex(const std::string& text) const {
    return to_hex(sign_p256_raw(signer_key.get(), {reinterpret_cast<const uint8_t*>(text.data()), text.size()}));
  }
  // The bundle with tcb_info / qe_identity embedded as objects (raw spans kept).
  std::string bundle(const std::string& tcb, const std::string& qe, X509* revoked_pck = nullptr) const {
    const std::string chain = json_string(certificate_pem(signer.get()) + certificate_pem(ca.root_cert.get()));
    return "{\n  \"tcb_info\": {\"tcbInfo\":" + tcb + ",\"signature\":\"" + sign_hex(tcb) + "\"},\n" +
           "  \"tcb_info_issuer_chain\": " + chain + ",\n  \"qe_identity\": {\"enclaveIdentity\": " + qe +
           ", \"signature\": \"" + sign_hex(qe) + "\"},\n  \"qe_identity_issuer_chain\": " + chain +
           ",\n  \"pck_crl\": " + json_string(crl_pem(ca.root_cert.get(), ca.root_key.get(), revoked_pck)) +
           ",\n  \"root_ca_crl\": " + json_string(crl_pem(ca.root_cert.get(), ca.root_key.get(), nullptr)) + "\n}";
  }
  Bytes quote(TdReportBody body = default_td_body()) const {
    return build_tdx_quote_v4(body, {}, ca.signing_material());
  }
  QuoteVerification verify(const Bytes& q, const std::string& bundle_text) const {
    Collateral c = parse_collateral(bundle_text);
    return verify_quote(q, anchors(), &c, Clock::now());
  }
};

TEST(AttestCollateral, MemberSpanKeepsExactBytes) {
  std::string text = R"({ "a" : [1, "}\"{", {"b":2}] ,"tcbInfo":  {"x" : "y ,}"}  , "z":null})";
  EXPECT_EQ(json_member_span(text, "tcbInfo"), R"({"x" : "y ,}"})");
  EXPECT_EQ(json_member_span(text, "a"), R"([1, "}\"{", {"b":2}])");
  EXPECT_THROW(json_member_span(text, "missing"), std::runtime_error);
  EXPECT_THROW(json_member_span("[1]", "a"), std::runtime_error);
}

TEST(AttestCollateral, MergeStatusesTakesTheWorse) {
  EXPECT_EQ(merge_tcb_status("UpToDate", "UpToDate"), "UpToDate");
  EXPECT_EQ(merge_tcb_status("SWHardeningNeeded", "OutOfDate"), "OutOfDate");
  EXPECT_EQ(merge_tcb_status("ConfigurationNeeded", "OutOfDate"), "OutOfDateConfigurationNeeded");
  EXPECT_EQ(merge_tcb_status("ConfigurationNeeded", "SWHardeningNeeded"), "ConfigurationAndSWHardeningNeeded");
  EXPECT_EQ(merge_tcb_status("UpToDate", "Revoked"), "Revoked");
  EXPECT_THROW(merge_tcb_status("Bogus", "UpToDate"), std::invalid_argument);
}

TEST(AttestCollateral, UpToDatePlatform) {
  CollateralFixture f;
  TdReportBody body = default_td_body();
  body.tee_tcb_svn[2] = 5;
  auto r = f.verify(f.quote(body), f.bundle(tcb_info_text(), qe_identity_text()));
  ASSERT_TRUE(r.verified) << r.reason << ": " << r.reason_text;
  EXPECT_EQ(r.tcb_status, "UpToDate");
  EXPECT_TRUE(r.checks_not_done.empty());
}

TEST(AttestCollateral, OlderPlatformIsOutOfDateWithAdvisories) {
  CollateralFixture f;
  auto r = f.verify(f.quote(), f.bundle(tcb_info_text(), qe_identity_text()));
  ASSERT_TRUE(r.verified) << r.reason_text;
  EXPECT_EQ(r.tcb_status, "OutOfDate");
  EXPECT_EQ(r.advisory_ids, std::vector<std::string>{"INTEL-SA-00837"});
}

TEST(AttestCollateral, QeBelowEveryLevelIsRefused) {
  CollateralFixture f;
  auto r = f.verify(f.quote(), f.bundle(tcb_info_text(), qe_identity_text(8)));  // the QE has ISVSVN 7
  EXPECT_EQ(r.reason, reason::kTcbLevelNotFound) << r.reason_text;
}

TEST(AttestCollateral, DcapQvlLayoutIsAccepted) {
  CollateralFixture f;
  const std::string tcb = tcb_info_text(), qe = qe_identity_text();
  const std::string chain = json_string(certificate_pem(f.signer.get()) + certificate_pem(f.ca.root_cert.get()));
  std::string text = "{\"tcb_info\":" + json_string(tcb) + ",\"tcb_info_signature\":\"" + f.sign_hex(tcb) +
                     "\",\"tcb_info_issuer_chain\":" + chain + ",\"qe_identity\":" + json_string(qe) +
                     ",\"qe_identity_signature\":\"" + f.sign_hex(qe) + "\",\"qe_identity_issuer_chain\":" + chain +
                     "}";
  auto r = f.verify(f.quote(), text);
  ASSERT_TRUE(r.verified) << r.reason_text;
  EXPECT_EQ(r.tcb_status, "OutOfDate");
  // No CRL given: revocation is listed as not done.
  EXPECT_EQ(r.checks_not_done, std::vector<std::string>{kCheckPckRevocation});
}

TEST(AttestCollateral, AlteredSignedTextIsRefused) {
  CollateralFixture f;
  std::string text = f.bundle(tcb_info_text(), qe_identity_text());
  text.replace(text.find("\"tcbEvaluationDataNumber\":17"), 28, "\"tcbEvaluationDataNumber\":18");
  EXPECT_EQ(f.verify(f.quote(), text).reason, reason::kCollateralInvalid);
}

TEST(AttestCollateral, CollateralFromAnUntrustedRootIsRefused) {
  CollateralFixture f;
  CollateralFixture other;  // signs the same content under another root
  auto r = f.verify(f.quote(), other.bundle(tcb_info_text(), qe_identity_text()));
  EXPECT_EQ(r.reason, reason::kCollateralUntrusted) << r.reason_text;
  // Real Intel quote, collateral signed by a test root: refused under Intel's anchors.
  Collateral c = parse_collateral(f.bundle(tcb_info_text(), qe_identity_text()));
  auto intel =
      verify_quote(testing::read_test_quote(testing::kQuoteV4), TrustAnchors::intel(), &c, testing::sample_now());
  EXPECT_EQ(intel.reason, reason::kCollateralUntrusted) << intel.reason_text;
}

TEST(AttestCollateral, StaleCollateralIsRefused) {
  CollateralFixture f;
  auto r = f.verify(f.quote(), f.bundle(tcb_info_text("2025-06-01T00:00:00Z"), qe_identity_text()));
  EXPECT_EQ(r.reason, reason::kCollateralExpired) << r.reason_text;
}

TEST(AttestCollateral, FmspcMismatchIsRefused) {
  CollateralFixture f;
  auto r = f.verify(f.quote(), f.bundle(tcb_info_text("2099-01-01T00:00:00Z", "00906ED50000"), qe_identity_text()));
  EXPECT_EQ(r.reason, reason::kFmspcMismatch) << r.reason_text;
}

TEST(AttestCollateral, RevokedPckIsRefused) {
  CollateralFixture f;
  auto r = f.verify(f.quote(), f.bundle(tcb_info_text(), qe_identity_text(), f.ca.pck_cert.get()));
  EXPECT_EQ(r.reason, reason::kPckRevoked) << r.reason_text;
}

TEST(AttestCollateral, ModuleIdentityMismatchIsRefused) {
  CollateralFixture f;
  std::string tcb = tcb_info_text();
  tcb.replace(tcb.find("\"TDX_01\""), 8, "\"TDX_02\"");
  auto r = f.verify(f.quote(), f.bundle(tcb, qe_identity_text()));
  EXPECT_EQ(r.reason, reason::kTdxModuleIdentity) << r.reason_text;
}

TEST(AttestCollateral, MalformedBundleNamesTheMember) {
  try {
    parse_collateral(R"({"tcb_info": {"tcbInfo": {}, "signature": "00"}})");
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("signature"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_collateral("not json"), std::runtime_error);
  EXPECT_THROW(parse_collateral("{}"), std::runtime_error);
}

}  // namespace
}  // namespace chrysalis::attest
