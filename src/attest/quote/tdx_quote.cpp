#include "attest/quote/tdx_quote.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstring>

namespace chrysalis::attest {

namespace {

// Bounds-checked cursor: every read names the field and section it belongs to.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  size_t pos() const { return pos_; }
  void need(size_t n, const char* section, const char* field) const {
    if (n > bytes_.size() - pos_)
      throw QuoteParseError(section, std::string("truncated at ") + field + " (offset " + std::to_string(pos_) +
                                         ", need " + std::to_string(n) + " bytes, " +
                                         std::to_string(bytes_.size() - pos_) + " left)");
  }
  const uint8_t* take(size_t n, const char* section, const char* field) {
    need(n, section, field);
    const uint8_t* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  uint16_t u16(const char* s, const char* f) { return load_le16(take(2, s, f)); }
  uint32_t u32(const char* s, const char* f) { return load_le32(take(4, s, f)); }
  uint64_t u64(const char* s, const char* f) { return load_le64(take(8, s, f)); }
  template <size_t N>
  void fixed(Fixed<N>& out, const char* s, const char* f) {
    std::memcpy(out.data(), take(N, s, f), N);
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

void parse_header(Reader& r, QuoteHeader& h) {
  const char* s = "header";
  h.version = r.u16(s, "version");
  h.att_key_type = r.u16(s, "att_key_type");
  h.tee_type = r.u32(s, "tee_type");
  h.reserved_qe_svn = r.u16(s, "reserved");
  h.reserved_pce_svn = r.u16(s, "reserved");
  r.fixed(h.qe_vendor_id, s, "qe_vendor_id");
  r.fixed(h.user_data, s, "user_data");
  if (h.version != 4 && h.version != 5)
    throw QuoteParseError(s, "version " + std::to_string(h.version) + " is not supported (want 4 or 5)");
  if (h.att_key_type != kAttKeyTypeEcdsaP256)
    throw QuoteParseError(s, "att_key_type " + std::to_string(h.att_key_type) + " is not ECDSA-P256 (2)");
  if (h.tee_type != kTeeTypeTdx)
    throw QuoteParseError(s, "tee_type " + std::to_string(h.tee_type) + " is not TDX (0x81)");
  if (h.qe_vendor_id != kIntelQeVendorId)
    throw QuoteParseError(s, "qe_vendor_id " + to_hex(h.qe_vendor_id) + " is not Intel's QE");
}

void parse_body(Reader& r, bool td15, TdReportBody& b) {
  const char* s = "body";
  r.fixed(b.tee_tcb_svn, s, "TEE_TCB_SVN");
  r.fixed(b.mr_seam, s, "MRSEAM");
  r.fixed(b.mr_signer_seam, s, "MRSIGNERSEAM");
  b.seam_attributes = r.u64(s, "SEAMATTRIBUTES");
  b.td_attributes = r.u64(s, "TDATTRIBUTES");
  b.xfam = r.u64(s, "XFAM");
  r.fixed(b.mr_td, s, "MRTD");
  r.fixed(b.mr_config_id, s, "MRCONFIGID");
  r.fixed(b.mr_owner, s, "MROWNER");
  r.fixed(b.mr_owner_config, s, "MROWNERCONFIG");
  static const char* kRtmr[4] = {"RTMR0", "RTMR1", "RTMR2", "RTMR3"};
  for (int i = 0; i < 4; ++i) r.fixed(b.rtmr[i], s, kRtmr[i]);
  r.fixed(b.report_data, s, "REPORTDATA");
  b.td15 = td15;
  if (td15) {
    r.fixed(b.tee_tcb_svn2, s, "TEE_TCB_SVN2");
    r.fixed(b.mr_service_td, s, "MRSERVICETD");
  }
}

QeReport decode_qe_report(const Fixed<kQeReportSize>& raw) {
  QeReport q;
  auto copy = [&](auto& out, size_t off) { std::memcpy(out.data(), raw.data() + off, out.size()); };
  copy(q.cpu_svn, 0);
  q.misc_select = load_le32(raw.data() + 16);
  copy(q.isv_ext_prod_id, 32);
  copy(q.attributes, 48);
  copy(q.mr_enclave, 64);
  copy(q.mr_signer, 128);
  copy(q.config_id, 192);
  q.isv_prod_id = load_le16(raw.data() + 256);
  q.isv_svn = load_le16(raw.data() + 258);
  q.config_svn = load_le16(raw.data() + 260);
  copy(q.isv_family_id, 304);
  copy(q.report_data, 320);
  return q;
}

// Certification data type 6: QE report, its signature, QE auth data, then nested type 5 (PEM chain).
void parse_certification_data(Reader& r, TdxQuote& q) {
  auto& sd = q.signature;
  QuoteLayout& L = q.layout;
  L.cert_data_offset = r.pos();
  sd.cert_data_type = r.u16("certification_data", "type");
  if (sd.cert_data_type != kCertDataQeReport)
    throw QuoteParseError("certification_data", "type " + std::to_string(sd.cert_data_type) +
                                                    " is not supported (want 6, QE report certification data)");
  sd.cert_data_size = r.u32("certification_data", "size");
  r.need(sd.cert_data_size, "certification_data", "certification data of the declared size");
  const size_t cert_end = r.pos() + sd.cert_data_size;

  L.qe_report_offset = r.pos();
  r.fixed(sd.qe_report_raw, "qe_report", "QE report");
  sd.qe_report = decode_qe_report(sd.qe_report_raw);
  L.qe_report_sig_offset = r.pos();
  r.fixed(sd.qe_report_signature, "qe_report", "QE report signature");

  L.qe_auth_offset = r.pos();
  uint16_t auth_size = r.u16("qe_auth_data", "size");
  const uint8_t* auth = r.take(auth_size, "qe_auth_data", "QE auth data");
  sd.qe_auth_data.assign(auth, auth + auth_size);

  L.pck_chain_offset = r.pos();
  sd.inner_cert_data_type = r.u16("pck_chain", "type");
  if (sd.inner_cert_data_type != kCertDataPckChain)
    throw QuoteParseError("pck_chain", "nested certification data type " + std::to_string(sd.inner_cert_data_type) +
                                           " is not supported (want 5, PCK certificate chain)");
  sd.inner_cert_data_size = r.u32("pck_chain", "size");
  L.pck_pem_offset = r.pos();
  const uint8_t* pem = r.take(sd.inner_cert_data_size, "pck_chain", "PEM certificate chain");
  if (r.pos() != cert_end)
    throw QuoteParseError("certification_data",
                          "size " + std::to_string(sd.cert_data_size) + " disagrees with its contents (" +
                              std::to_string(r.pos() - (cert_end - sd.cert_data_size)) + " bytes)");
  std::string text(reinterpret_cast<const char*>(pem), sd.inner_cert_data_size);
  while (!text.empty() && text.back() == '\0') text.pop_back();  // QGS may end the chain with a NUL
  if (text.find('\0') != std::string::npos) throw QuoteParseError("pck_chain", "NUL byte inside the PEM chain");
  if (text.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
    throw QuoteParseError("pck_chain", "no PEM certificate in the chain");
  sd.pck_chain_pem = std::move(text);
}

}  // namespace

TdxQuote parse_tdx_quote(std::span<const uint8_t> bytes) {
  TdxQuote q;
  Reader r(bytes);
  parse_header(r, q.header);

  if (q.header.version == 5) {
    q.body_type = r.u16("body_descriptor", "body type");
    q.body_size = r.u32("body_descriptor", "body size");
    if (q.body_type == 1) throw QuoteParseError("body_descriptor", "body type 1 is an SGX report, not a TD report");
    if (q.body_type != kBodyTypeTd10 && q.body_type != kBodyTypeTd15)
      throw QuoteParseError("body_descriptor", "body type " + std::to_string(q.body_type) + " is unknown");
    const uint32_t want = q.body_type == kBodyTypeTd10 ? kTdReport10Size : kTdReport15Size;
    if (q.body_size != want)
      throw QuoteParseError("body_descriptor", "body size " + std::to_string(q.body_size) + " does not match type " +
                                                   std::to_string(q.body_type) + " (want " + std::to_string(want) +
                                                   ")");
  }
  q.layout.body_offset = r.pos();
  parse_body(r, q.body_type == kBodyTypeTd15, q.body);
  q.layout.signed_size = r.pos();

  q.layout.sig_data_offset = r.pos();
  q.sig_data_len = r.u32("signature_data", "sig_data_len");
  r.need(q.sig_data_len, "signature_data", "signature data of the declared sig_data_len");
  const size_t sig_end = r.pos() + q.sig_data_len;
  r.fixed(q.signature.quote_signature, "signature_data", "quote signature");
  q.layout.attestation_key_offset = r.pos();
  r.fixed(q.signature.attestation_key, "signature_data", "attestation key");
  parse_certification_data(r, q);
  if (r.pos() != sig_end)
    throw QuoteParseError("signature_data", "sig_data_len " + std::to_string(q.sig_data_len) +
                                                " disagrees with the certification data it holds");
  q.layout.end = r.pos();
  q.trailing_bytes = bytes.size() - q.layout.end;
  q.raw.assign(bytes.begin(), bytes.begin() + q.layout.end);
  return q;
}

Fixed<32> image_hash(const TdReportBody& b) {
  Bytes buf;
  buf.reserve(448);
  for (const auto* f :
       {&b.mr_td, &b.mr_config_id, &b.mr_owner, &b.mr_owner_config, &b.rtmr[0], &b.rtmr[1], &b.rtmr[2], &b.rtmr[3]})
    append(buf, *f);
  buf.resize(448, 0);
  Fixed<32> out{};
  SHA256(buf.data(), buf.size(), out.data());
  return out;
}

}  // namespace chrysalis::attest
