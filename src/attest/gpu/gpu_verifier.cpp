#include "attest/gpu/gpu_verifier.h"

#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

#include "attest/gpu/dice_fwid.h"
#include "attest/gpu/nvidia_roots.h"
#include "attest/gpu/rim.h"
#include "attest/quote/quote_chain.h"
#include "attest/quote/quote_crypto.h"
#include "crypto/peer_verifier.h"

namespace chrysalis::attest::gpu {

namespace {

constexpr const char* kNvidiaNameOid = "1.3.6.1.4.1.412.274.1";
constexpr unsigned kNvdecIndex = 35;    // RIM index of the NVDEC0 measurement
constexpr uint8_t kNvdecDisabled = 0x55;

bool equal_ignoring_case(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool self_signed(X509* cert) { return X509_check_issued(cert, cert) == X509_V_OK; }


// The leaf's subjectAltName other-name "NVIDIA:<chip>:<id>", when present.
void read_nvidia_name(X509* leaf, GpuVerification& r) {
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return;
  ASN1_OBJECT* wanted = OBJ_txt2obj(kNvidiaNameOid, 1);
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type != GEN_OTHERNAME || OBJ_cmp(n->d.otherName->type_id, wanted) != 0) continue;
    ASN1_TYPE* v = n->d.otherName->value;
    if (v->type != V_ASN1_UTF8STRING && v->type != V_ASN1_IA5STRING && v->type != V_ASN1_PRINTABLESTRING) continue;
    std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v->value.asn1_string)),
                     static_cast<std::size_t>(ASN1_STRING_length(v->value.asn1_string)));
    auto first = text.find(':'), second = text.find(':', first == std::string::npos ? 0 : first + 1);
    if (text.rfind("NVIDIA:", 0) == 0 && second != std::string::npos) {
      r.chip = text.substr(first + 1, second - first - 1);
      r.device_id = text.substr(second + 1);
    }
  }
  ASN1_OBJECT_free(wanted);
  GENERAL_NAMES_free(names);
}

GpuVerification& fail(GpuVerification& r, const char* reason, std::string text) {
  r.verified = false;
  r.reason = reason;
  r.reason_text = std::move(text);
  return r;
}

const char* rim_reason(RimError e) {
  switch (e) {
    case RimError::untrusted: return gpu_reason::kRimUntrusted;
    case RimError::expired: return gpu_reason::kRimExpired;
    default: return gpu_reason::kRimInvalid;
  }
}

bool matches_one(const RimResource& res, const Bytes& value) {
  return std::any_of(res.alternatives.begin(), res.alternatives.end(), [&](const Bytes& b) { return b == value; });
}

// Every index active in exactly one RIM must match one of its values in the report.
bool check_measurements(const SpdmReport& report, const Rim& driver, const Rim& vbios, GpuVerification& r) {
  for (const auto& d : driver.resources)
    if (const RimResource* v = vbios.find(d.index); d.active && v && v->active) {
      fail(r, gpu_reason::kRimConflict, "index " + std::to_string(d.index) + " is active in both the driver and the VBIOS RIM");
      return false;
    }
  for (const Rim* rim : {&driver, &vbios}) {
    const char* which = rim == &driver ? "driver" : "VBIOS";
    for (const auto& res : rim->resources) {
      if (!res.active) continue;
      // NVIDIA's rule: with NVDEC0 disabled its measurement is not compared.
      if (res.index == kNvdecIndex && report.nvdec0_status == kNvdecDisabled) continue;
      const MeasurementBlock* block = report.find_block(static_cast<uint8_t>(res.index + 1));
      if (res.index > 254 || !block) {
        fail(r, gpu_reason::kMeasurementMismatch, std::string(which) + " RIM index " + std::to_string(res.index) +
                                                      " is active but the report has no measurement for it");
        return false;
      }
      if (!matches_one(res, block->value)) {
        fail(r, gpu_reason::kMeasurementMismatch,
             std::string(which) + " RIM index " + std::to_string(res.index) + ": the report's value " +
                 to_hex(block->value).substr(0, 24) + "… matches none of its " + std::to_string(res.alternatives.size()) +
                 " reference values");
        return false;
      }
      r.measurements_checked++;
    }
  }
  return true;
}

bool check_references(const SpdmReport& report, const GpuTrust& trust, const GpuReferences& refs,
                      std::chrono::system_clock::time_point at, GpuVerification& r) {
  if (!refs.driver_rim && !refs.vbios_rim && !refs.required) {
    r.checks_not_done.push_back(kCheckRims);
    return true;
  }
  if (!refs.driver_rim || !refs.vbios_rim) {
    std::string missing = !refs.driver_rim ? "driver " + report.driver_version : "";
    if (!refs.vbios_rim) missing += std::string(missing.empty() ? "" : " and ") + "VBIOS " + report.vbios_version;
    fail(r, gpu_reason::kRimMissing, "no reference manifest for " + missing + " (both are needed)");
    return false;
  }
  RimCheck driver = verify_rim(*refs.driver_rim, trust.rim, at);
  if (!driver.ok()) {
    fail(r, rim_reason(driver.error), "driver RIM: " + driver.text);
    return false;
  }
  RimCheck vbios = verify_rim(*refs.vbios_rim, trust.rim, at);
  if (!vbios.ok()) {
    fail(r, rim_reason(vbios.error), "VBIOS RIM: " + vbios.text);
    return false;
  }
  r.driver_rim_signer = driver.rim->signer;
  r.vbios_rim_signer = vbios.rim->signer;
  if (!equal_ignoring_case(driver.rim->version, report.driver_version)) {
    fail(r, gpu_reason::kDriverVersionMismatch,
         "the report says driver " + report.driver_version + ", the driver RIM is for " + driver.rim->version);
    return false;
  }
  if (!equal_ignoring_case(vbios.rim->version, report.vbios_version)) {
    fail(r, gpu_reason::kVbiosVersionMismatch,
         "the report says VBIOS " + report.vbios_version + ", the VBIOS RIM is for " + vbios.rim->version);
    return false;
  }
  return check_measurements(report, *driver.rim, *vbios.rim, r);
}

}  // namespace

GpuVerification verify_gpu_evidence(const GpuEvidence& evidence, std::span<const uint8_t> expected_nonce,
                                    const GpuTrust& trust, const GpuReferences& references,
                                    std::chrono::system_clock::time_point at) {
  GpuVerification r;
  try {
    r.report = parse_spdm_report(evidence.report);
  } catch (const SpdmParseError& e) {
    return fail(r, gpu_reason::kMalformed, e.what());
  }
  const SpdmReport& report = *r.report;
  if (expected_nonce.size() != report.request_nonce.size() ||
      !std::equal(expected_nonce.begin(), expected_nonce.end(), report.request_nonce.begin()))
    return fail(r, gpu_reason::kNonceMismatch,
                "the report was made for nonce " + to_hex(report.request_nonce) + ", not " +
                    to_hex(std::vector<uint8_t>(expected_nonce.begin(), expected_nonce.end())));

  std::vector<std::shared_ptr<X509>> chain;
  try {
    for (auto& cert : load_pem_certificates(evidence.chain_pem)) chain.push_back(share(std::move(cert)));
  } catch (const std::exception& e) {
    return fail(r, gpu_reason::kChainInvalid, std::string("the certificate chain does not parse: ") + e.what());
  }
  // A root the GPU supplies is never trusted: only the pinned one may end the chain.
  std::erase_if(chain, [](const std::shared_ptr<X509>& c) { return self_signed(c.get()); });
  if (chain.empty()) return fail(r, gpu_reason::kChainInvalid, "the certificate chain holds no attestation-key certificate");
  ChainCheck checked = verify_chain(chain, trust.device, at);
  if (checked.error == ChainError::expired) return fail(r, gpu_reason::kChainExpired, checked.text);
  if (checked.error == ChainError::untrusted) return fail(r, gpu_reason::kChainUntrusted, checked.text);
  if (!checked.ok()) return fail(r, gpu_reason::kChainInvalid, checked.text);
  r.valid_until = checked.earliest_not_after;
  X509* leaf = chain.front().get();
  r.leaf_subject = crypto::describe_certificate(leaf).common_name;
  read_nvidia_name(leaf, r);

  std::span<const uint8_t> signed_part(evidence.report.data(), report.signed_bytes);
  if (!verify_ecdsa_raw(X509_get0_pubkey(leaf), EVP_sha384(), signed_part, report.signature))
    return fail(r, gpu_reason::kReportSignature, "the report's signature does not verify under the attestation key");

  std::optional<Bytes> leaf_fwid;
  try {
    leaf_fwid = dice_fwid(leaf);
  } catch (const std::exception& e) {
    return fail(r, gpu_reason::kChainInvalid, e.what());
  }
  if (leaf_fwid) r.fwid_hex = to_hex(*leaf_fwid);
  if (!report.fwid) {
    r.checks_not_done.push_back(kCheckFwid);
  } else if (!leaf_fwid || *leaf_fwid != *report.fwid) {
    return fail(r, gpu_reason::kFwidMismatch,
                "the report states FWID " + to_hex(*report.fwid) + ", the attestation key's certificate " +
                    (leaf_fwid ? to_hex(*leaf_fwid) : std::string("none")));
  }

  if (!check_references(report, trust, references, at, r)) return r;
  if (!trust.crls) {
    r.revocation = "no CRL cache";
    r.checks_not_done.push_back(kCheckRevocation);
  } else {
    RevocationCheck revocation = check_revocation(checked.chain, *trust.crls, at);
    if (revocation.revoked) return fail(r, gpu_reason::kCertRevoked, *revocation.revoked);
    r.revocation = revocation.summary();
    if (!revocation.uncovered.empty()) r.checks_not_done.push_back(kCheckRevocation);
    r.valid_until = std::min(r.valid_until, revocation.next_update);
  }
  r.verified = true;
  return r;
}

}  // namespace chrysalis::attest::gpu
