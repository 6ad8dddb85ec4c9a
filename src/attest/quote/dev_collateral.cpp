#include "attest/quote/dev_collateral.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "attest/quote/collateral_source.h"
#include "attest/quote/quote_crypto.h"
#include "attest/quote/sgx_extension.h"
#include "common/hex.h"

namespace chrysalis::attest {

namespace {

using Clock = std::chrono::system_clock;

// A TCB level every simulated platform meets (all component SVNs 0), with `status`.
std::string tcb_info_text(const std::string& fmspc, const DevCollateralOptions& o) {
  std::string zeros = "[";
  for (int i = 0; i < 16; ++i) zeros += std::string(i ? "," : "") + R"({"svn":0,"category":"BIOS","type":""})";
  zeros += "]";
  std::string advisories = o.tcb_status == "UpToDate" ? "" : R"(,"advisoryIDs":["INTEL-SA-00000"])";
  return R"({"id":"TDX","version":3,"issueDate":")" + format_rfc3339(o.issued) + R"(","nextUpdate":")" +
         format_rfc3339(o.next_update) + R"(","fmspc":")" + fmspc +
         R"(","pceId":"0000","tcbType":0,"tcbEvaluationDataNumber":17,)"
         R"("tdxModule":{"mrsigner":")" + std::string(96, '0') +
         R"(","attributes":"0000000000000000","attributesMask":"FFFFFFFFFFFFFFFF"},)"
         R"("tdxModuleIdentities":[{"id":"TDX_01","mrsigner":")" + std::string(96, '0') +
         R"(","attributes":"0000000000000000","attributesMask":"FFFFFFFFFFFFFFFF","tcbLevels":[)"
         R"({"tcb":{"isvsvn":0},"tcbDate":"2024-03-13T00:00:00Z","tcbStatus":"UpToDate"}]}],)"
         R"("tcbLevels":[{"tcb":{"sgxtcbcomponents":)" + zeros + R"(,"pcesvn":0,"tdxtcbcomponents":)" + zeros +
         R"(},"tcbDate":"2024-03-13T00:00:00Z","tcbStatus":")" + o.tcb_status + "\"" + advisories + "}]}";
}

std::string qe_identity_text(const DevCollateralOptions& o) {
  return R"({"id":"TD_QE","version":2,"issueDate":")" + format_rfc3339(o.issued) + R"(","nextUpdate":")" +
         format_rfc3339(o.next_update) +
         R"(","tcbEvaluationDataNumber":17,"miscselect":"00000000","miscselectMask":"FFFFFFFF",)"
         R"("attributes":"11000000000000000000000000000000","attributesMask":"FBFFFFFFFFFFFFFF0000000000000000",)"
         R"("mrsigner":"DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5","isvprodid":2,)"
         R"("tcbLevels":[{"tcb":{"isvsvn":0},"tcbDate":"2024-03-13T00:00:00Z","tcbStatus":"UpToDate"}]})";
}

std::shared_ptr<X509_CRL> make_crl(const DevCa& ca, const DevCollateralOptions& o, X509* revoked) {
  std::shared_ptr<X509_CRL> crl(X509_CRL_new(), X509_CRL_free);
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.root_cert.get()));
  std::shared_ptr<ASN1_TIME> t(ASN1_TIME_set(nullptr, Clock::to_time_t(o.issued)), ASN1_TIME_free);
  X509_CRL_set1_lastUpdate(crl.get(), t.get());
  ASN1_TIME_set(t.get(), Clock::to_time_t(o.next_update));
  X509_CRL_set1_nextUpdate(crl.get(), t.get());
  if (revoked) {
    X509_REVOKED* r = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked));
    X509_REVOKED_set_revocationDate(r, t.get());
    X509_CRL_add0_revoked(crl.get(), r);
  }
  X509_CRL_sort(crl.get());
  if (!X509_CRL_sign(crl.get(), ca.root_key.get(), EVP_sha256())) throw std::runtime_error("dev collateral: CRL signing failed");
  return crl;
}

std::string crl_pem(X509_CRL* crl) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509_CRL(bio.get(), crl);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string crl_der(X509_CRL* crl) {
  unsigned char* out = nullptr;
  int len = i2d_X509_CRL(crl, &out);
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return der;
}

}  // namespace

DevPcsResponses make_dev_pcs_responses(const DevCa& ca, const DevCollateralOptions& o) {
  DevPcsResponses out;
  std::string fmspc = canonical_fmspc(to_hex(read_sgx_extension(ca.pck_cert.get()).fmspc));
  out.fmspc = fmspc;
  auto signer_key = share(generate_p256_key());
  CertificateSpec spec;
  spec.common_name = "Chrysalis Development TCB Signing";
  auto signer = issue_certificate(spec, signer_key.get(), ca.root_cert.get(), ca.root_key.get());
  auto signed_body = [&](const char* member, const std::string& text) {
    auto sig = sign_p256_raw(signer_key.get(), {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
    return std::string("{\"") + member + "\":" + text + ",\"signature\":\"" + to_hex(sig) + "\"}";
  };
  out.tcb_body = signed_body("tcbInfo", tcb_info_text(fmspc, o));
  out.qe_body = signed_body("enclaveIdentity", qe_identity_text(o));
  out.signing_chain = certificate_pem(signer.get()) + certificate_pem(ca.root_cert.get());
  out.pck_crl_pem = crl_pem(make_crl(ca, o, o.revoke_pck ? ca.pck_cert.get() : nullptr).get());
  out.pck_crl_chain = certificate_pem(ca.root_cert.get());
  out.root_crl_der = crl_der(make_crl(ca, o, nullptr).get());
  return out;
}

}  // namespace chrysalis::attest
