// Grading a verified quote against collateral (tdx-quotes.md §2.3): signatures up to a trust anchor,
// freshness, FMSPC/PCE-ID, TCB level, TDX module identity, QE identity, CRLs.
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "attest/quote/collateral.h"
#include "attest/quote/quote_chain.h"
#include "attest/quote/quote_verifier.h"

namespace chrysalis::attest {

namespace {

using json = nlohmann::json;
using time_point = std::chrono::system_clock::time_point;

// A failed check: carries the reason code out of the nested helpers.
struct Refusal {
  const char* code;
  std::string text;
};

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const json& member(const json& obj, const char* key, const std::string& where) {
  if (!obj.is_object() || !obj.contains(key))
    throw Refusal{reason::kCollateralInvalid, where + " lacks \"" + key + "\""};
  return obj[key];
}
std::string str(const json& obj, const char* key, const std::string& where) {
  const json& v = member(obj, key, where);
  if (!v.is_string()) throw Refusal{reason::kCollateralInvalid, where + "." + key + " is not a string"};
  return v.get<std::string>();
}
long num(const json& obj, const char* key, const std::string& where) {
  const json& v = member(obj, key, where);
  if (!v.is_number_integer()) throw Refusal{reason::kCollateralInvalid, where + "." + key + " is not an integer"};
  return v.get<long>();
}
Bytes hex_field(const json& obj, const char* key, const std::string& where) {
  try {
    return from_hex(str(obj, key, where));
  } catch (const std::invalid_argument&) {
    throw Refusal{reason::kCollateralInvalid, where + "." + key + " is not hex"};
  }
}
bool masked_equal(std::span<const uint8_t> value, const Bytes& expected, const Bytes& mask) {
  if (expected.size() != mask.size() || value.size() < mask.size()) return false;
  for (size_t i = 0; i < mask.size(); ++i)
    if ((value[i] & mask[i]) != (expected[i] & mask[i])) return false;
  return true;
}

// Signature chain, signature over the exact text, issue/next-update window.
time_point check_signed(const SignedCollateral& item, const char* name, const TrustAnchors& anchors, time_point now) {
  ChainCheck chain = verify_chain(item.issuer_chain, anchors, now);
  if (!chain.ok()) {
    const char* code = chain.error == ChainError::untrusted ? reason::kCollateralUntrusted
                       : chain.error == ChainError::expired ? reason::kCollateralExpired
                                                            : reason::kCollateralInvalid;
    throw Refusal{code, std::string(name) + " signing chain: " + chain.text};
  }
  if (!verify_p256_raw(X509_get0_pubkey(item.issuer_chain[0].get()),
                       {reinterpret_cast<const uint8_t*>(item.signed_text.data()), item.signed_text.size()},
                       item.signature))
    throw Refusal{reason::kCollateralInvalid, std::string(name) + " signature does not verify"};
  time_point issued, next;
  try {
    issued = parse_rfc3339(str(item.body, "issueDate", name));
    next = parse_rfc3339(str(item.body, "nextUpdate", name));
  } catch (const std::invalid_argument& e) {
    throw Refusal{reason::kCollateralInvalid, std::string(name) + ": " + e.what()};
  }
  if (now < issued) throw Refusal{reason::kCollateralExpired, std::string(name) + " is issued in the future"};
  if (now >= next)
    throw Refusal{reason::kCollateralExpired, std::string(name) + " is past its nextUpdate " + format_rfc3339(next)};
  return std::min(next, chain.earliest_not_after);
}

// CRL signed by `issuer`, current at `now`; true when `cert` is listed.
bool revoked_by(X509_CRL* crl, X509* issuer, X509* cert, const char* name, time_point now, time_point& next_update) {
  if (!issuer || X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1) {
    ERR_clear_error();
    throw Refusal{reason::kCollateralInvalid, std::string(name) + " is not signed by the expected issuer"};
  }
  if (now < asn1_time_point(X509_CRL_get0_lastUpdate(crl)))
    throw Refusal{reason::kCollateralExpired, std::string(name) + " is issued in the future"};
  if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl)) {
    time_point t = asn1_time_point(next);
    if (now >= t) throw Refusal{reason::kCollateralExpired, std::string(name) + " is past its nextUpdate"};
    next_update = std::min(next_update, t);
  }
  X509_REVOKED* entry = nullptr;
  return X509_CRL_get0_by_cert(crl, &entry, cert) == 1;
}

// First level (they are ordered newest first) whose components are all <= the platform's.
const json* match_platform_level(const json& levels, const CollateralInput& in) {
  const auto& svn = in.quote.body.tee_tcb_svn;
  const size_t tdx_start = svn[1] > 0 ? 2 : 0;  // module SVN and major are graded by tdxModuleIdentities
  for (const json& level : levels) {
    const json& tcb = member(level, "tcb", "tcbLevel");
    const json& sgx = member(tcb, "sgxtcbcomponents", "tcbLevel.tcb");
    const json& tdx = member(tcb, "tdxtcbcomponents", "tcbLevel.tcb");
    if (!sgx.is_array() || sgx.size() != 16 || !tdx.is_array() || tdx.size() != 16)
      throw Refusal{reason::kCollateralInvalid, "tcbLevel components are not 16-element arrays"};
    bool ok = num(tcb, "pcesvn", "tcbLevel.tcb") <= in.pck.pce_svn;
    for (size_t i = 0; ok && i < 16; ++i) ok = num(sgx[i], "svn", "sgxtcbcomponent") <= in.pck.cpu_svn_components[i];
    for (size_t i = tdx_start; ok && i < 16; ++i) ok = num(tdx[i], "svn", "tdxtcbcomponent") <= svn[i];
    if (ok) return &level;
  }
  return nullptr;
}

const json* match_isvsvn_level(const json& levels, long isvsvn) {
  for (const json& level : levels)
    if (num(member(level, "tcb", "tcbLevel"), "isvsvn", "tcbLevel.tcb") <= isvsvn) return &level;
  return nullptr;
}

std::string level_status(const json& level) {
  std::string s = str(level, "tcbStatus", "tcbLevel");
  if (!is_known_tcb_status(s)) throw Refusal{reason::kCollateralInvalid, "unknown tcbStatus \"" + s + "\""};
  return s;
}

std::string grade_tdx_module(const json& info, const CollateralInput& in) {
  const auto& body = in.quote.body;
  const uint8_t major = body.tee_tcb_svn[1];
  if (major == 0) {  // TDX 1.0 module: only the tdxModule identity applies
    const json& m = member(info, "tdxModule", "tcbInfo");
    if (hex_field(m, "mrsigner", "tdxModule") != Bytes(body.mr_signer_seam.begin(), body.mr_signer_seam.end()))
      throw Refusal{reason::kTdxModuleIdentity, "MRSIGNERSEAM differs from tcbInfo.tdxModule.mrsigner"};
    Bytes attrs(8);
    for (int i = 0; i < 8; ++i) attrs[i] = uint8_t(body.seam_attributes >> (8 * i));
    if (!masked_equal(attrs, hex_field(m, "attributes", "tdxModule"), hex_field(m, "attributesMask", "tdxModule")))
      throw Refusal{reason::kTdxModuleIdentity, "SEAMATTRIBUTES differ from tcbInfo.tdxModule under its mask"};
    return "UpToDate";
  }
  char id[8];
  std::snprintf(id, sizeof id, "TDX_%02X", major);
  const json& ids = member(info, "tdxModuleIdentities", "tcbInfo");
  for (const json& m : ids) {
    if (str(m, "id", "tdxModuleIdentity") != id) continue;
    if (hex_field(m, "mrsigner", id) != Bytes(body.mr_signer_seam.begin(), body.mr_signer_seam.end()))
      throw Refusal{reason::kTdxModuleIdentity, std::string("MRSIGNERSEAM differs from ") + id + ".mrsigner"};
    Bytes attrs(8);
    for (int i = 0; i < 8; ++i) attrs[i] = uint8_t(body.seam_attributes >> (8 * i));
    if (!masked_equal(attrs, hex_field(m, "attributes", id), hex_field(m, "attributesMask", id)))
      throw Refusal{reason::kTdxModuleIdentity, std::string("SEAMATTRIBUTES differ from ") + id + " under its mask"};
    const json* level = match_isvsvn_level(member(m, "tcbLevels", id), body.tee_tcb_svn[0]);
    if (!level) throw Refusal{reason::kTcbLevelNotFound, std::string("TDX module SVN below every level of ") + id};
    return level_status(*level);
  }
  throw Refusal{reason::kTdxModuleIdentity, std::string("tcbInfo has no module identity ") + id};
}

std::string grade_qe(const json& qe, const CollateralInput& in) {
  const QeReport& r = in.quote.signature.qe_report;
  if (str(qe, "id", "enclaveIdentity") != "TD_QE")
    throw Refusal{reason::kCollateralInvalid, "QE identity id is not TD_QE"};
  if (hex_field(qe, "mrsigner", "enclaveIdentity") != Bytes(r.mr_signer.begin(), r.mr_signer.end()))
    throw Refusal{reason::kQeIdentity, "QE MRSIGNER differs from the QE identity collateral"};
  if (num(qe, "isvprodid", "enclaveIdentity") != r.isv_prod_id)
    throw Refusal{reason::kQeIdentity, "QE ISVPRODID differs from the QE identity collateral"};
  Bytes misc(4);
  for (int i = 0; i < 4; ++i) misc[i] = uint8_t(r.misc_select >> (8 * i));
  // miscselect is written as a big-endian hex number in the JSON.
  Bytes want_misc = hex_field(qe, "miscselect", "enclaveIdentity"),
        mask_misc = hex_field(qe, "miscselectMask", "enclaveIdentity");
  std::reverse(want_misc.begin(), want_misc.end());
  std::reverse(mask_misc.begin(), mask_misc.end());
  if (!masked_equal(misc, want_misc, mask_misc))
    throw Refusal{reason::kQeIdentity, "QE MISCSELECT differs from the QE identity collateral"};
  if (!masked_equal(r.attributes, hex_field(qe, "attributes", "enclaveIdentity"),
                    hex_field(qe, "attributesMask", "enclaveIdentity")))
    throw Refusal{reason::kQeIdentity, "QE ATTRIBUTES differ from the QE identity collateral"};
  const json* level = match_isvsvn_level(member(qe, "tcbLevels", "enclaveIdentity"), r.isv_svn);
  if (!level) throw Refusal{reason::kTcbLevelNotFound, "QE ISVSVN below every QE identity level"};
  return level_status(*level);
}

}  // namespace

CollateralOutcome evaluate_collateral(const Collateral& c, const CollateralInput& in, const TrustAnchors& anchors,
                                      time_point now) {
  CollateralOutcome out;
  try {
    out.next_update = check_signed(c.tcb_info, "TCB info", anchors, now);
    out.next_update = std::min(out.next_update, check_signed(c.qe_identity, "QE identity", anchors, now));
    const json& info = c.tcb_info.body;
    if (str(info, "id", "tcbInfo") != "TDX") throw Refusal{reason::kCollateralInvalid, "tcbInfo.id is not TDX"};
    if (num(info, "version", "tcbInfo") < 3) throw Refusal{reason::kCollateralInvalid, "tcbInfo.version is below 3"};
    if (lower(str(info, "fmspc", "tcbInfo")) != to_hex(in.pck.fmspc))
      throw Refusal{reason::kFmspcMismatch, "tcbInfo.fmspc " + str(info, "fmspc", "tcbInfo") +
                                                " is not the PCK certificate's FMSPC " + to_hex(in.pck.fmspc)};
    if (lower(str(info, "pceId", "tcbInfo")) != to_hex(in.pck.pce_id))
      throw Refusal{reason::kFmspcMismatch, "tcbInfo.pceId is not the PCK certificate's PCE-ID"};

    const json* level = match_platform_level(member(info, "tcbLevels", "tcbInfo"), in);
    if (!level) throw Refusal{reason::kTcbLevelNotFound, "the platform's TCB is below every tcbInfo level"};
    std::string status = level_status(*level);
    if (level->contains("advisoryIDs") && (*level)["advisoryIDs"].is_array())
      for (const auto& a : (*level)["advisoryIDs"])
        if (a.is_string()) out.advisory_ids.push_back(a.get<std::string>());
    status = merge_tcb_status(status, grade_tdx_module(info, in));
    status = merge_tcb_status(status, grade_qe(c.qe_identity.body, in));

    // Revocation: the PCK leaf by the PCK CRL (signed by its CA), the CA by the root CRL.
    bool checked_leaf = false;
    if (c.pck_crl) {
      if (revoked_by(c.pck_crl.get(), in.pck_issuer, in.pck_leaf, "PCK CRL", now, out.next_update))
        throw Refusal{reason::kPckRevoked, "the PCK leaf certificate is listed in the PCK CRL"};
      checked_leaf = true;
    }
    if (c.root_ca_crl && in.pck_issuer) {
      X509* root = nullptr;
      for (const auto& a : anchors.roots())
        if (X509_CRL_verify(c.root_ca_crl.get(), X509_get0_pubkey(a.get())) == 1) root = a.get();
      ERR_clear_error();
      if (!root) throw Refusal{reason::kCollateralInvalid, "root CA CRL is not signed by a trusted root"};
      const bool issuer_is_root = X509_check_issued(in.pck_issuer, in.pck_issuer) == X509_V_OK;
      if (!issuer_is_root && revoked_by(c.root_ca_crl.get(), root, in.pck_issuer, "root CA CRL", now, out.next_update))
        throw Refusal{reason::kPckRevoked, "the PCK CA certificate is listed in the root CA CRL"};
    }
    if (!checked_leaf) out.checks_not_done.push_back(kCheckPckRevocation);
    out.tcb_status = status;
  } catch (const Refusal& r) {
    out.reason = r.code;
    out.reason_text = r.text;
  }
  return out;
}

namespace {
struct StatusFlags {
  bool revoked = false, out_of_date = false, config = false, sw = false;
};
bool flags_of(const std::string& s, StatusFlags& f) {
  if (s == "UpToDate") return true;
  if (s == "SWHardeningNeeded") return f.sw = true;
  if (s == "ConfigurationNeeded") return f.config = true;
  if (s == "ConfigurationAndSWHardeningNeeded") return f.config = f.sw = true;
  if (s == "OutOfDate") return f.out_of_date = true;
  if (s == "OutOfDateConfigurationNeeded") return f.out_of_date = f.config = true;
  if (s == "Revoked") return f.revoked = true;
  return false;
}
}  // namespace

bool is_known_tcb_status(const std::string& status) {
  StatusFlags f;
  return flags_of(status, f);
}

std::string merge_tcb_status(const std::string& a, const std::string& b) {
  StatusFlags f;
  if (!flags_of(a, f) || !flags_of(b, f)) throw std::invalid_argument("unknown TCB status");
  if (f.revoked) return "Revoked";
  if (f.out_of_date) return f.config ? "OutOfDateConfigurationNeeded" : "OutOfDate";
  if (f.config) return f.sw ? "ConfigurationAndSWHardeningNeeded" : "ConfigurationNeeded";
  return f.sw ? "SWHardeningNeeded" : "UpToDate";
}

}  // namespace chrysalis::attest
