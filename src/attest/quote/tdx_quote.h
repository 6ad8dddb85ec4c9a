#pragma once
// Strict parser for Intel TDX DCAP quotes, version 4 and 5 (TD 1.0 and TD 1.5 report bodies),
// ECDSA-P256 attestation keys, certification data type 6 (QE report) wrapping type 5 (PCK chain).
// Layout: /work/shared docs "tdx-quotes.md" §1. Every length comes from the quote itself; bytes
// after the quote's end are allowed and reported in trailing_bytes. Parsing checks structure only:
// signatures, chains and policy are the verifier's job (quote_verifier.h).
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include "attest/quote/quote_bytes.h"

namespace chrysalis::attest {

inline constexpr size_t kQuoteHeaderSize = 48;
inline constexpr size_t kTdReport10Size = 584;
inline constexpr size_t kTdReport15Size = 648;
inline constexpr size_t kQeReportSize = 384;
inline constexpr uint16_t kAttKeyTypeEcdsaP256 = 2;
inline constexpr uint32_t kTeeTypeTdx = 0x81;
inline constexpr uint16_t kCertDataQeReport = 6;
inline constexpr uint16_t kCertDataPckChain = 5;
inline constexpr uint16_t kBodyTypeTd10 = 2;
inline constexpr uint16_t kBodyTypeTd15 = 3;
// Intel's Quoting Enclave vendor id.
inline constexpr Fixed<16> kIntelQeVendorId = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                               0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

// TDATTRIBUTES bits.
inline constexpr uint64_t kTdAttrDebug = 1ull << 0;
inline constexpr uint64_t kTdAttrReservedTud = 0xFEull;  // bits 1..7
inline constexpr uint64_t kTdAttrSeptVeDisable = 1ull << 28;

struct QuoteHeader {
  uint16_t version = 0;
  uint16_t att_key_type = 0;
  uint32_t tee_type = 0;
  uint16_t reserved_qe_svn = 0;   // offset 8, zero in every sample
  uint16_t reserved_pce_svn = 0;  // offset 10
  Fixed<16> qe_vendor_id{};
  Fixed<20> user_data{};
};

struct TdReportBody {
  Fixed<16> tee_tcb_svn{};
  Fixed<48> mr_seam{};
  Fixed<48> mr_signer_seam{};
  uint64_t seam_attributes = 0;
  uint64_t td_attributes = 0;
  uint64_t xfam = 0;
  Fixed<48> mr_td{};
  Fixed<48> mr_config_id{};
  Fixed<48> mr_owner{};
  Fixed<48> mr_owner_config{};
  std::array<Fixed<48>, 4> rtmr{};
  Fixed<64> report_data{};
  // TD 1.5 only (v5 body type 3).
  bool td15 = false;
  Fixed<16> tee_tcb_svn2{};
  Fixed<48> mr_service_td{};
};

// SGX report body of the Quoting Enclave (384 bytes).
struct QeReport {
  Fixed<16> cpu_svn{};
  uint32_t misc_select = 0;
  Fixed<16> isv_ext_prod_id{};
  Fixed<16> attributes{};
  Fixed<32> mr_enclave{};
  Fixed<32> mr_signer{};
  Fixed<64> config_id{};
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  uint16_t config_svn = 0;
  Fixed<16> isv_family_id{};
  Fixed<64> report_data{};
};

struct QuoteSignatureData {
  Fixed<64> quote_signature{};  // r||s over the signed region
  Fixed<64> attestation_key{};  // x||y, P-256
  uint16_t cert_data_type = 0;  // 6
  uint32_t cert_data_size = 0;
  Fixed<kQeReportSize> qe_report_raw{};
  QeReport qe_report;
  Fixed<64> qe_report_signature{};  // r||s by the PCK key
  Bytes qe_auth_data;
  uint16_t inner_cert_data_type = 0;  // 5
  uint32_t inner_cert_data_size = 0;
  std::string pck_chain_pem;  // trailing NUL bytes stripped
};

// Offsets of each section inside the quote (the tests truncate at each of them).
struct QuoteLayout {
  size_t body_offset = 0;      // 48 (v4) or 54 (v5)
  size_t signed_size = 0;      // bytes covered by the quote signature
  size_t sig_data_offset = 0;  // the u32 sig_data_len
  size_t attestation_key_offset = 0;
  size_t cert_data_offset = 0;  // the u16 type 6
  size_t qe_report_offset = 0;
  size_t qe_report_sig_offset = 0;
  size_t qe_auth_offset = 0;    // the u16 size
  size_t pck_chain_offset = 0;  // the u16 type 5
  size_t pck_pem_offset = 0;    // first PEM byte
  size_t end = 0;               // one past the quote's last byte
};

struct TdxQuote {
  QuoteHeader header;
  uint16_t body_type = kBodyTypeTd10;  // v4 is always TD 1.0
  uint32_t body_size = kTdReport10Size;
  TdReportBody body;
  uint32_t sig_data_len = 0;
  QuoteSignatureData signature;
  QuoteLayout layout;
  size_t trailing_bytes = 0;  // bytes in the buffer after layout.end
  Bytes raw;                  // the quote bytes [0, layout.end)

  std::span<const uint8_t> signed_region() const { return {raw.data(), layout.signed_size}; }
  bool debug() const { return body.td_attributes & kTdAttrDebug; }
};

// A malformed quote. section is a stable short name ("header", "body_descriptor", "signature_data",
// "certification_data", "qe_report", "qe_auth_data", "pck_chain"); what() names the field.
class QuoteParseError : public std::runtime_error {
 public:
  QuoteParseError(std::string section, const std::string& message)
      : std::runtime_error(section + ": " + message), section_(std::move(section)) {}
  const std::string& section() const { return section_; }

 private:
  std::string section_;
};

// Throws QuoteParseError; never reads outside `bytes`.
TdxQuote parse_tdx_quote(std::span<const uint8_t> bytes);

// SHA-256(MRTD || MRCONFIGID || MROWNER || MROWNERCONFIG || RTMR0..3 || 64 zero bytes): COCOON's
// image hash (448 bytes hashed; REPORTDATA zeroed; MRSEAM, TCB SVN, attributes and XFAM excluded).
Fixed<32> image_hash(const TdReportBody& body);

}  // namespace chrysalis::attest
