#pragma once
// Optional collateral: Intel's TDX TCB Info and TDX QE Identity (as the PCS v4 API publishes them),
// their issuer chains and the CRLs, bundled in one JSON file:
//   {
//     "tcb_info": {"tcbInfo": {...}, "signature": "<hex r||s>"}   (object, or that body as a string),
//     "tcb_info_issuer_chain": "<PEM>",
//     "qe_identity": {"enclaveIdentity": {...}, "signature": "..."},
//     "qe_identity_issuer_chain": "<PEM>",
//     "pck_crl": "<PEM or hex DER>", "root_ca_crl": "<PEM or hex DER>",
//     "pck_crl_issuer_chain": "<PEM>"   (optional, informational)
//   }
// dcap-qvl's layout is accepted too: "tcb_info" = the exact tcbInfo text, "tcb_info_signature" = hex
// (same for "qe_identity"/"qe_identity_signature"). Signatures cover the exact bytes of the inner
// object, so the raw text span is kept, never re-serialised JSON.
#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "attest/quote/quote_crypto.h"
#include "attest/quote/quote_trust_anchors.h"
#include "attest/quote/sgx_extension.h"
#include "attest/quote/tdx_quote.h"

namespace chrysalis::attest {

struct SignedCollateral {
  std::string signed_text;                          // exact bytes the signature covers
  nlohmann::json body;                              // parsed signed_text
  Bytes signature;                                  // r||s (64 bytes)
  std::vector<std::shared_ptr<X509>> issuer_chain;  // signer first
};

struct Collateral {
  SignedCollateral tcb_info;              // body = the tcbInfo object
  SignedCollateral qe_identity;           // body = the enclaveIdentity object
  std::shared_ptr<X509_CRL> pck_crl;      // may be null: revocation of the PCK leaf is then not checked
  std::shared_ptr<X509_CRL> root_ca_crl;  // may be null
};

// Throws std::runtime_error naming the member that is missing or malformed.
Collateral parse_collateral(std::string_view json_text);
Collateral load_collateral_file(const std::filesystem::path& path);

// Raw text of member `key` of the top-level JSON object in `text` (the exact bytes, whitespace
// inside kept); throws std::runtime_error when `text` is not an object or lacks the key.
std::string_view json_member_span(std::string_view text, std::string_view key);

struct CollateralInput {
  const TdxQuote& quote;
  const SgxExtension& pck;
  X509* pck_leaf;
  X509* pck_issuer;  // the certificate that signed the leaf (signs the PCK CRL)
};

struct CollateralOutcome {
  std::string reason;  // empty: collateral accepted (tcb_status may still be bad)
  std::string reason_text;
  std::string tcb_status;
  std::vector<std::string> advisory_ids;
  std::chrono::system_clock::time_point next_update{};  // earliest nextUpdate of everything used
  std::vector<std::string> checks_not_done;             // e.g. pck_revocation when no CRL was supplied
};

CollateralOutcome evaluate_collateral(const Collateral& collateral, const CollateralInput& input,
                                      const TrustAnchors& anchors, std::chrono::system_clock::time_point now);

// TCB status helpers: merge two statuses into the worse combination (QVL's convergence rules).
std::string merge_tcb_status(const std::string& a, const std::string& b);
bool is_known_tcb_status(const std::string& status);

}  // namespace chrysalis::attest
