#pragma once
// Builds TDX DCAP v4 quotes in Intel's exact byte layout (tdx-quotes.md §1): header, TD 1.0 body,
// quote signature by the attestation key, certification data type 6 (QE report signed by the
// PCK(-like) key, binding the attestation key, QE auth data) wrapping type 5 (PEM chain + NUL).
// The simulated TEE and the negative tests use it; verify_quote checks its output like a real quote.
#include <openssl/evp.h>

#include <memory>
#include <string>

#include "attest/quote/tdx_quote.h"

namespace chrysalis::attest {

struct QuoteSigningMaterial {
  std::shared_ptr<EVP_PKEY> pck_key;          // signs the QE report
  std::shared_ptr<EVP_PKEY> attestation_key;  // signs the quote
  std::string pck_chain_pem;                  // PCK leaf first
};

// A TD body that passes the fixed TD policy: SEPT_VE_DISABLE set, DEBUG clear, Intel-like SEAM
// fields (MRSIGNERSEAM and SEAMATTRIBUTES zero), TEE_TCB_SVN 06 01 03 like the v4 sample.
TdReportBody default_td_body();

// QE report values that pass the static QE identity check (Intel's TD QE MRSIGNER, ISVPRODID 2).
QeReport default_qe_report();

struct QuoteBuildOptions {
  QeReport qe_report = default_qe_report();  // REPORTDATA is overwritten with the key binding
  Bytes qe_auth_data = default_qe_auth_data();
  Fixed<20> user_data{};
  // 4 (TD 1.0 body) or 5 (body descriptor; TD 1.5 body when body.td15, else TD 1.0).
  uint16_t version = 4;
  static Bytes default_qe_auth_data();  // 0x00..0x1f, as Intel's QE
};

// `body.report_data` is replaced by `report_data`. build_tdx_quote_v4 ignores options.version;
// build_tdx_quote honours it.
Bytes build_tdx_quote(const TdReportBody& body, const Fixed<64>& report_data, const QuoteSigningMaterial& signer,
                      const QuoteBuildOptions& options = {});
Bytes build_tdx_quote_v4(const TdReportBody& body, const Fixed<64>& report_data, const QuoteSigningMaterial& signer,
                         const QuoteBuildOptions& options = {});

// Serialisations used by the builder (and by tests that patch fields).
Bytes encode_td_report_body(const TdReportBody& body);  // 584 bytes (648 with td15)
Fixed<kQeReportSize> encode_qe_report(const QeReport& report);

}  // namespace chrysalis::attest
