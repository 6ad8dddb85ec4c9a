#include "attest/quote/quote_verifier.h"

#include <openssl/x509v3.h>

#include <cstring>

#include "attest/quote/collateral.h"
#include "attest/quote/quote_chain.h"
#include "attest/quote/quote_crypto.h"

namespace chrysalis::attest {

namespace {

// Intel TD_QE identity masks (tdx-quotes.md §2.2 step 6).
constexpr uint32_t kQeMiscSelect = 0, kQeMiscSelectMask = 0xFFFFFFFF;
constexpr Fixed<16> kQeAttributes = {0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
constexpr Fixed<16> kQeAttributesMask = {0xFB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0};

QuoteVerification& fail(QuoteVerification& r, const char* code, std::string text) {
  r.verified = false;
  r.reason = code;
  r.reason_text = std::move(text);
  return r;
}

const char* chain_reason(ChainError e) {
  switch (e) {
    case ChainError::untrusted:
      return reason::kPckChainUntrusted;
    case ChainError::expired:
      return reason::kPckChainExpired;
    default:
      return reason::kPckChainInvalid;
  }
}

bool qe_identity_matches(const QeReport& qe, std::string& why) {
  if (qe.mr_signer != kIntelTdQeMrSigner) {
    why = "QE MRSIGNER " + to_hex(qe.mr_signer) + " is not Intel's TD QE signer";
    return false;
  }
  if (qe.isv_prod_id != kIntelTdQeIsvProdId) {
    why = "QE ISVPRODID " + std::to_string(qe.isv_prod_id) + " is not 2 (TD QE)";
    return false;
  }
  if ((qe.misc_select & kQeMiscSelectMask) != kQeMiscSelect) {
    why = "QE MISCSELECT does not match the TD QE identity under its mask";
    return false;
  }
  for (size_t i = 0; i < 16; ++i)
    if ((qe.attributes[i] & kQeAttributesMask[i]) != kQeAttributes[i]) {
      why = "QE ATTRIBUTES " + to_hex(qe.attributes) + " do not match the TD QE identity under its mask";
      return false;
    }
  return true;
}

// Records a failed check; phases return its false.
bool failed(QuoteVerification& r, const char* code, std::string text) {
  fail(r, code, std::move(text));
  return false;
}

// The PCK chain from the quote, verified to a trust anchor at `now`; fills r.pck and r.valid_until.
bool check_pck_chain(QuoteVerification& r, const QuoteSignatureData& sd, const TrustAnchors& anchors,
                     std::chrono::system_clock::time_point now, std::vector<std::shared_ptr<X509>>& certs,
                     ChainCheck& chain) {
  try {
    for (auto& c : load_pem_certificates(sd.pck_chain_pem)) certs.push_back(share(std::move(c)));
  } catch (const std::exception& e) {
    return failed(r, reason::kPckChainInvalid, std::string("PCK chain: ") + e.what());
  }
  if (certs.size() < 2 || certs.size() > 3)
    return failed(r, reason::kPckChainInvalid,
                  "PCK chain has " + std::to_string(certs.size()) + " certificates (want leaf, CA[, root])");
  chain = verify_chain(certs, anchors, now);
  if (!chain.ok()) return failed(r, chain_reason(chain.error), "PCK chain: " + chain.text);
  if (X509_check_ca(certs[0].get()) != 0) return failed(r, reason::kPckChainInvalid, "PCK leaf is a CA certificate");
  try {
    r.pck = read_sgx_extension(certs[0].get());
  } catch (const std::exception& e) {
    return failed(r, reason::kPckChainInvalid, e.what());
  }
  r.valid_until = chain.earliest_not_after;
  {
    char issuer[256] = {};
    X509_NAME_oneline(X509_get_issuer_name(certs[0].get()), issuer, sizeof(issuer) - 1);
    r.pck_ca = std::strstr(issuer, "Processor CA") ? "processor" : "platform";
  }
  X509* anchor = chain.chain.back().get();
  // A root carried in the quote is ignored for trust, but it must be the very root we trusted.
  X509* carried = certs.back().get();
  if (X509_check_issued(carried, carried) == X509_V_OK && X509_cmp(carried, anchor) != 0)
    return failed(r, reason::kPckChainUntrusted, "the root certificate in the quote differs from the trusted root");
  return true;
}

// The QE report signed by the PCK key, and the attestation key bound into it:
// REPORTDATA = SHA-256(key || auth data) || 32 zero bytes.
bool check_qe_report(QuoteVerification& r, const QuoteSignatureData& sd, X509* pck_leaf) {
  EVP_PKEY* pck_key = X509_get0_pubkey(pck_leaf);
  if (!pck_key || EVP_PKEY_get_base_id(pck_key) != EVP_PKEY_EC)
    return failed(r, reason::kPckChainInvalid, "PCK leaf key is not an EC key");
  if (!verify_p256_raw(pck_key, sd.qe_report_raw, sd.qe_report_signature))
    return failed(r, reason::kQeReportSignature, "QE report signature does not verify with the PCK leaf key");
  Bytes bound(sd.attestation_key.begin(), sd.attestation_key.end());
  append(bound, sd.qe_auth_data);
  Fixed<32> expected = sha256(bound);
  const auto& rd = sd.qe_report.report_data;
  if (std::memcmp(rd.data(), expected.data(), 32) != 0)
    return failed(r, reason::kAttestationKeyBinding,
                  "QE REPORTDATA[0..32) is not SHA-256(attestation key || QE auth data)");
  for (size_t i = 32; i < 64; ++i)
    if (rd[i]) return failed(r, reason::kAttestationKeyBinding, "QE REPORTDATA[32..64) is not zero");
  return true;
}

// The quote signed by the attestation key over header + body.
bool check_quote_signature(QuoteVerification& r, const TdxQuote& q) {
  const auto& sd = q.signature;
  PkeyPtr ak = p256_public_key(sd.attestation_key);
  if (!ak) return failed(r, reason::kAttestationKeyBinding, "attestation key is not a P-256 point");
  if (!verify_p256_raw(ak.get(), q.signed_region(), sd.quote_signature))
    return failed(r, reason::kQuoteSignature, "quote signature does not verify with the attestation key");
  return true;
}

// TD policy fixed for every network: no debug TD, reserved bits clear, SEPT #VE disabled.
bool check_td_policy(QuoteVerification& r, const TdReportBody& b) {
  if (b.td_attributes & kTdAttrDebug) return failed(r, reason::kTdDebug, "TDATTRIBUTES.DEBUG is set (debug TD)");
  if (b.td_attributes & kTdAttrReservedTud)
    return failed(r, reason::kTdAttributes, "TDATTRIBUTES reserved bits 1-7 are set");
  if (!(b.td_attributes & kTdAttrSeptVeDisable))
    return failed(r, reason::kTdAttributes, "TDATTRIBUTES.SEPT_VE_DISABLE is clear");
  if (!all_zero(b.mr_signer_seam))
    return failed(r, reason::kSeamFields, "MRSIGNERSEAM is not zero (not Intel's TDX module)");
  if (b.seam_attributes != 0) return failed(r, reason::kSeamFields, "SEAMATTRIBUTES is not zero");
  return true;
}

// Collateral: TCB status and revocation; without it, say what was not checked.
QuoteVerification& apply_collateral(QuoteVerification& r, const Collateral* collateral, X509* pck_leaf,
                                    const ChainCheck& chain, const TrustAnchors& anchors,
                                    std::chrono::system_clock::time_point now) {
  if (!collateral) {
    r.tcb_status = "NotChecked";
    r.checks_not_done = {kCheckTcbLevel, kCheckTdxModuleIdentity, kCheckQeIdentityCollateral, kCheckPckRevocation};
    r.verified = true;
    return r;
  }
  X509* issuer = chain.chain.size() > 1 ? chain.chain[1].get() : nullptr;
  CollateralOutcome c = evaluate_collateral(*collateral, {*r.quote, *r.pck, pck_leaf, issuer}, anchors, now);
  r.tcb_status = c.tcb_status.empty() ? "NotChecked" : c.tcb_status;
  r.advisory_ids = c.advisory_ids;
  r.checks_not_done = c.checks_not_done;
  if (!c.reason.empty()) return fail(r, c.reason.c_str(), c.reason_text);
  if (c.next_update < r.valid_until) r.valid_until = c.next_update;
  if (r.tcb_status == "Revoked") return fail(r, reason::kTcbRevoked, "the platform's TCB level is Revoked");
  r.verified = true;
  return r;
}

}  // namespace

QuoteVerification verify_quote(std::span<const uint8_t> bytes, const TrustAnchors& anchors,
                               const Collateral* collateral, std::chrono::system_clock::time_point now) {
  QuoteVerification r;
  // 1. Strict parse.
  try {
    r.quote = parse_tdx_quote(bytes);
  } catch (const QuoteParseError& e) {
    return fail(r, reason::kMalformed, e.what());
  }
  const TdxQuote& q = *r.quote;
  r.image_hash = image_hash(q.body);
  // 2. PCK chain to a trust anchor. 3-4. QE report and attestation key. 5. Quote signature.
  std::vector<std::shared_ptr<X509>> certs;
  ChainCheck chain;
  if (!check_pck_chain(r, q.signature, anchors, now, certs, chain)) return r;
  if (!check_qe_report(r, q.signature, certs[0].get())) return r;
  if (!check_quote_signature(r, q)) return r;
  // 6. Static QE identity.
  std::string why;
  if (!qe_identity_matches(q.signature.qe_report, why)) return fail(r, reason::kQeIdentity, why);
  // 7. TD policy.
  if (!check_td_policy(r, q.body)) return r;
  X509* anchor = chain.chain.back().get();
  r.root_sha256 = certificate_sha256_hex(anchor);
  r.root_key_id = root_key_id_hex(anchor);
  // 8. Collateral.
  return apply_collateral(r, collateral, certs[0].get(), chain, anchors, now);
}

}  // namespace chrysalis::attest
