#pragma once
// Verifies an NVIDIA GPU's confidential-computing evidence offline, in this order (the first
// failure stops it and names itself in `reason`):
//   parse the SPDM report -> the request nonce is the one asked for -> the attestation-key chain
//   ends at the pinned Device Identity CA at `at` (a root the GPU supplies is dropped) -> the
//   report's signature under the leaf key -> the report's FWID, when it carries one, equals the
//   leaf's DICE FWID -> with reference manifests: both RIMs verify against the pinned RIM root at
//   `at`, their versions are the report's driver and VBIOS versions, no index is active in both,
//   and every active measurement equals one of its alternatives.
// Revocation comes from the CRLs in `trust.crls` (gpu_revocation.h): a certificate they list
// refuses the evidence; when they do not cover every certificate of the device chain (or there are
// none), "revocation" is listed in checks_not_done, as are the RIM checks when no manifests are
// given. OCSP needs the network and is never asked.
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "attest/gpu/gpu_revocation.h"
#include "attest/gpu/spdm_report.h"
#include "attest/quote/quote_trust_anchors.h"

namespace chrysalis::attest::gpu {

namespace gpu_reason {
inline constexpr const char* kMalformed = "malformed";
inline constexpr const char* kNonceMismatch = "nonce_mismatch";
inline constexpr const char* kChainInvalid = "gpu_chain_invalid";
inline constexpr const char* kChainUntrusted = "gpu_chain_untrusted";
inline constexpr const char* kChainExpired = "gpu_chain_expired";
inline constexpr const char* kReportSignature = "report_signature";
inline constexpr const char* kFwidMismatch = "fwid_mismatch";
inline constexpr const char* kRimMissing = "rim_missing";
inline constexpr const char* kRimInvalid = "rim_invalid";      // malformed or its XML signature fails
inline constexpr const char* kRimUntrusted = "rim_untrusted";  // signer not under the pinned RIM root
inline constexpr const char* kRimExpired = "rim_expired";      // signer chain outside its validity at `at`
inline constexpr const char* kDriverVersionMismatch = "driver_version_mismatch";
inline constexpr const char* kVbiosVersionMismatch = "vbios_version_mismatch";
inline constexpr const char* kRimConflict = "rim_conflict";  // an index active in both RIMs
inline constexpr const char* kMeasurementMismatch = "measurement_mismatch";
inline constexpr const char* kCertRevoked = "gpu_cert_revoked";  // listed in its issuer's CRL
}  // namespace gpu_reason

// Checks an offline verifier cannot do, listed in checks_not_done.
inline constexpr const char* kCheckRevocation = "revocation";  // OCSP and CRLs of the device and RIM chains
inline constexpr const char* kCheckRims = "reference_manifests";
inline constexpr const char* kCheckFwid = "fwid";  // the report carries none (older drivers)

struct GpuEvidence {
  Bytes report;           // as NVML returns it
  std::string chain_pem;  // the attestation-key chain, leaf first
};

// The driver and VBIOS reference manifests (XML). Neither: the measurements are not compared
// (listed in checks_not_done) unless `required`, as when the caller searched a store for them.
struct GpuReferences {
  std::optional<std::string> driver_rim, vbios_rim;
  bool required = false;
};

struct GpuTrust {
  TrustAnchors device;  // default: nvidia_device_roots()
  TrustAnchors rim;     // default: nvidia_rim_roots()
  std::shared_ptr<const CrlSet> crls;  // the operator's CRL cache; null: revocation not checked
  static GpuTrust nvidia();
};

struct GpuVerification {
  bool verified = false;
  std::string reason, reason_text;
  std::optional<SpdmReport> report;  // whenever it parsed
  std::string leaf_subject;          // the attestation key's certificate CN
  std::string chip;                  // from the leaf's NVIDIA name (e.g. GH100), when it has one
  std::string device_id;             // the rest of that name (the GPU's unique id)
  std::string fwid_hex;              // the leaf's FWID, when it has one
  std::string driver_rim_signer, vbios_rim_signer;
  std::size_t measurements_checked = 0;
  std::vector<std::string> checks_not_done;
  std::string revocation;  // what the CRLs covered (RevocationCheck::summary), or why nothing was checked
  // Earliest notAfter of the device chain, and nextUpdate of the CRLs used.
  std::chrono::system_clock::time_point valid_until{};
};

GpuVerification verify_gpu_evidence(const GpuEvidence& evidence, std::span<const uint8_t> expected_nonce,
                                    const GpuTrust& trust, const GpuReferences& references,
                                    std::chrono::system_clock::time_point at);

}  // namespace chrysalis::attest::gpu
