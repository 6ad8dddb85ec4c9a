#pragma once
// Verifies an Intel TDX DCAP quote without Intel's QVL (tdx-quotes.md §2.2), in this order:
//   parse -> PCK chain to a trust anchor (validity at `now`, CA constraints) -> QE report signature
//   (PCK key) -> attestation-key binding -> quote signature -> static QE identity -> TD attributes
//   -> SEAM fields -> optional collateral (TCB status, revocation; collateral.h).
// The first failed check stops verification and names itself in `reason` (a stable code below).
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "attest/quote/quote_trust_anchors.h"
#include "attest/quote/sgx_extension.h"
#include "attest/quote/tdx_quote.h"

namespace chrysalis::attest {

struct Collateral;  // collateral.h

// Stable reason codes (the `reason` field). Logs and the CLI print them with reason_text.
namespace reason {
inline constexpr const char* kMalformed = "malformed";                    // parse error; text names the section
inline constexpr const char* kPckChainInvalid = "pck_chain_invalid";      // PEM, signature, constraints, extension
inline constexpr const char* kPckChainUntrusted = "pck_chain_untrusted";  // does not end at a trusted root
inline constexpr const char* kPckChainExpired = "pck_chain_expired";      // a certificate outside its validity
inline constexpr const char* kQeReportSignature = "qe_report_signature";
inline constexpr const char* kAttestationKeyBinding = "attestation_key_binding";
inline constexpr const char* kQuoteSignature = "quote_signature";
inline constexpr const char* kQeIdentity = "qe_identity";
inline constexpr const char* kTdDebug = "td_debug";
inline constexpr const char* kTdAttributes = "td_attributes";  // reserved bits set or SEPT_VE_DISABLE clear
inline constexpr const char* kSeamFields = "seam_fields";      // MRSIGNERSEAM / SEAMATTRIBUTES not Intel's
// Collateral (only when collateral is given).
inline constexpr const char* kCollateralInvalid = "collateral_invalid";      // malformed or bad signature
inline constexpr const char* kCollateralUntrusted = "collateral_untrusted";  // signer chain not to an anchor
inline constexpr const char* kCollateralExpired = "collateral_expired";      // past nextUpdate / not yet issued
inline constexpr const char* kFmspcMismatch = "fmspc_mismatch";
inline constexpr const char* kTcbLevelNotFound = "tcb_level_not_found";
inline constexpr const char* kTdxModuleIdentity = "tdx_module_identity";
inline constexpr const char* kPckRevoked = "pck_revoked";
inline constexpr const char* kTcbRevoked = "tcb_revoked";
}  // namespace reason

// Checks that only collateral can do; listed in checks_not_done when it is absent.
inline constexpr const char* kCheckTcbLevel = "tcb_level";
inline constexpr const char* kCheckPckRevocation = "pck_revocation";
inline constexpr const char* kCheckQeIdentityCollateral = "qe_identity_collateral";
inline constexpr const char* kCheckTdxModuleIdentity = "tdx_module_identity";

struct QuoteVerification {
  bool verified = false;
  std::string reason;                     // empty when verified
  std::string reason_text;                // human-readable detail of the failed check
  std::optional<TdxQuote> quote;          // present whenever parsing succeeded
  Fixed<32> image_hash{};                 // valid whenever `quote` is present
  std::optional<SgxExtension> pck;        // from the PCK leaf, once the chain parsed
  // Which PCK CA issued the leaf, as Intel's PCS names its CRLs: "processor" when the issuer's
  // name says Processor CA, else "platform" (Intel's Platform CA, and the development CA).
  std::string pck_ca;
  std::string root_sha256;                // the trust anchor the chain ended at (hex), when verified
  std::string root_key_id;                // SHA-384 of that root's public key (COCOON's collateral root hash)
  std::string tcb_status = "NotChecked";  // UpToDate, SWHardeningNeeded, ..., Revoked, or NotChecked
  std::vector<std::string> advisory_ids;
  std::vector<std::string> checks_not_done;
  // Until when a positive result may be reused: the earliest notAfter of the chain (and of the
  // collateral's nextUpdate). Caches honour it.
  std::chrono::system_clock::time_point valid_until{};
};

QuoteVerification verify_quote(std::span<const uint8_t> quote, const TrustAnchors& anchors,
                               const Collateral* collateral, std::chrono::system_clock::time_point now);

// Static QE identity (Intel's TD_QE identity values) that stands in for the QE Identity collateral.
inline constexpr Fixed<32> kIntelTdQeMrSigner = {0xdc, 0x9e, 0x2a, 0x7c, 0x6f, 0x94, 0x8f, 0x17, 0x47, 0x4e, 0x34,
                                                 0xa7, 0xfc, 0x43, 0xed, 0x03, 0x0f, 0x7c, 0x15, 0x63, 0xf1, 0xba,
                                                 0xbd, 0xdf, 0x63, 0x40, 0xc8, 0x2e, 0x0e, 0x54, 0xa8, 0xc5};
inline constexpr uint16_t kIntelTdQeIsvProdId = 2;

}  // namespace chrysalis::attest
