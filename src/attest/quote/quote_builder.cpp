#include "attest/quote/quote_builder.h"

#include <cstring>
#include <stdexcept>

#include "attest/quote/quote_crypto.h"
#include "attest/quote/quote_verifier.h"

namespace chrysalis::attest {

TdReportBody default_td_body() {
  TdReportBody b;
  b.tee_tcb_svn = {0x06, 0x01, 0x03};
  b.td_attributes = kTdAttrSeptVeDisable;
  b.xfam = 0x61ae7;  // x87, SSE, AVX, AVX-512, PK, AMX state components, as common TDs enable
  return b;
}

QeReport default_qe_report() {
  QeReport q;
  q.misc_select = 0;
  q.attributes = {0x15, 0, 0, 0, 0, 0, 0, 0, 0xe7, 0, 0, 0, 0, 0, 0, 0};  // as Intel's TD QE reports
  q.mr_signer = kIntelTdQeMrSigner;
  q.isv_prod_id = kIntelTdQeIsvProdId;
  q.isv_svn = 7;
  return q;
}

Bytes QuoteBuildOptions::default_qe_auth_data() {
  Bytes b(32);
  for (size_t i = 0; i < b.size(); ++i) b[i] = uint8_t(i);
  return b;
}

Bytes encode_td_report_body(const TdReportBody& b) {
  Bytes out;
  out.reserve(kTdReport15Size);
  append(out, b.tee_tcb_svn);
  append(out, b.mr_seam);
  append(out, b.mr_signer_seam);
  append_le64(out, b.seam_attributes);
  append_le64(out, b.td_attributes);
  append_le64(out, b.xfam);
  append(out, b.mr_td);
  append(out, b.mr_config_id);
  append(out, b.mr_owner);
  append(out, b.mr_owner_config);
  for (const auto& r : b.rtmr) append(out, r);
  append(out, b.report_data);
  if (b.td15) {
    append(out, b.tee_tcb_svn2);
    append(out, b.mr_service_td);
  }
  return out;
}

Fixed<kQeReportSize> encode_qe_report(const QeReport& q) {
  Fixed<kQeReportSize> raw{};
  auto put = [&](size_t off, std::span<const uint8_t> bytes) {
    std::memcpy(raw.data() + off, bytes.data(), bytes.size());
  };
  put(0, q.cpu_svn);
  for (int i = 0; i < 4; ++i) raw[16 + i] = uint8_t(q.misc_select >> (8 * i));
  put(32, q.isv_ext_prod_id);
  put(48, q.attributes);
  put(64, q.mr_enclave);
  put(128, q.mr_signer);
  put(192, q.config_id);
  raw[256] = uint8_t(q.isv_prod_id);
  raw[257] = uint8_t(q.isv_prod_id >> 8);
  raw[258] = uint8_t(q.isv_svn);
  raw[259] = uint8_t(q.isv_svn >> 8);
  raw[260] = uint8_t(q.config_svn);
  raw[261] = uint8_t(q.config_svn >> 8);
  put(304, q.isv_family_id);
  put(320, q.report_data);
  return raw;
}

Bytes build_tdx_quote_v4(const TdReportBody& body, const Fixed<64>& report_data, const QuoteSigningMaterial& signer,
                         const QuoteBuildOptions& options) {
  QuoteBuildOptions v4 = options;
  v4.version = 4;
  return build_tdx_quote(body, report_data, signer, v4);
}

Bytes build_tdx_quote(const TdReportBody& body_in, const Fixed<64>& report_data, const QuoteSigningMaterial& signer,
                      const QuoteBuildOptions& options) {
  if (options.version != 4 && options.version != 5)
    throw std::invalid_argument("quote builder: version must be 4 or 5");
  if (!signer.pck_key || !signer.attestation_key || signer.pck_chain_pem.empty())
    throw std::invalid_argument("quote builder: signing material is incomplete");
  if (options.qe_auth_data.size() > 0xFFFF) throw std::invalid_argument("quote builder: QE auth data too long");
  TdReportBody body = body_in;
  if (options.version == 4) body.td15 = false;  // v4 carries the TD 1.0 body
  body.report_data = report_data;

  Bytes quote;
  append_le16(quote, options.version);
  append_le16(quote, kAttKeyTypeEcdsaP256);
  append_le32(quote, kTeeTypeTdx);
  append_le16(quote, 0);
  append_le16(quote, 0);
  append(quote, kIntelQeVendorId);
  append(quote, options.user_data);
  const Bytes encoded_body = encode_td_report_body(body);
  if (options.version == 5) {
    append_le16(quote, body.td15 ? kBodyTypeTd15 : kBodyTypeTd10);
    append_le32(quote, uint32_t(encoded_body.size()));
  }
  append(quote, encoded_body);
  const size_t signed_size = quote.size();  // 632 (v4), 638 or 702 (v5)

  // QE report: REPORTDATA = SHA-256(attestation key || auth data) || zeros.
  const Fixed<64> ak = p256_public_xy(signer.attestation_key.get());
  Bytes bound(ak.begin(), ak.end());
  append(bound, options.qe_auth_data);
  QeReport qe = options.qe_report;
  qe.report_data = {};
  const Fixed<32> digest = sha256(bound);
  std::memcpy(qe.report_data.data(), digest.data(), 32);
  const Fixed<kQeReportSize> qe_raw = encode_qe_report(qe);

  Bytes pem(signer.pck_chain_pem.begin(), signer.pck_chain_pem.end());
  pem.push_back(0);  // QGS ends the chain with a NUL

  Bytes cert_data;  // type 6 contents
  append(cert_data, qe_raw);
  append(cert_data, sign_p256_raw(signer.pck_key.get(), qe_raw));
  append_le16(cert_data, uint16_t(options.qe_auth_data.size()));
  append(cert_data, options.qe_auth_data);
  append_le16(cert_data, kCertDataPckChain);
  append_le32(cert_data, uint32_t(pem.size()));
  append(cert_data, pem);

  Bytes sig_data;
  append(sig_data, sign_p256_raw(signer.attestation_key.get(), {quote.data(), signed_size}));
  append(sig_data, ak);
  append_le16(sig_data, kCertDataQeReport);
  append_le32(sig_data, uint32_t(cert_data.size()));
  append(sig_data, cert_data);

  append_le32(quote, uint32_t(sig_data.size()));
  append(quote, sig_data);
  return quote;
}

}  // namespace chrysalis::attest
