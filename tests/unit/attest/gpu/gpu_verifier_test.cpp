// The GPU evidence verifier on the real H100 vector: it verifies at the README's fixed time with
// both reference manifests, and each kind of tampering the README lists is refused with its reason.
#include <gtest/gtest.h>

#include <algorithm>

#include "attest/gpu/dice_fwid.h"
#include "attest/gpu/nvidia_roots.h"
#include "attest/quote/quote_crypto.h"
#include "gpu_testdata.h"

namespace chrysalis::attest::gpu {
namespace {

using namespace testing;

struct Case {
  GpuEvidence evidence{real_report(), real_chain()};
  Bytes nonce = real_nonce();
  GpuTrust trust = GpuTrust::nvidia();
  GpuReferences refs{driver_rim(), vbios_rim()};
  std::chrono::system_clock::time_point at = vector_time();
  GpuVerification run() const { return verify_gpu_evidence(evidence, nonce, trust, refs, at); }
};

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

TEST(GpuVerifier, TheRealH100VectorVerifiesWithBothReferenceManifests) {
  GpuVerification r = Case{}.run();
  ASSERT_TRUE(r.verified) << r.reason << ": " << r.reason_text;
  EXPECT_EQ(r.leaf_subject, "GH100 A01 GSP FMC LF");
  EXPECT_EQ(r.chip, "GH100");
  EXPECT_EQ(r.device_id, "48B02DB73E52137E");
  EXPECT_EQ(r.report->driver_version, "545.00");
  EXPECT_EQ(r.report->vbios_version, "96.00.5E.00.01");
  EXPECT_EQ(r.measurements_checked, 33u - 1) << "33 active indices, NVDEC0 (35) skipped as it is disabled";
  EXPECT_EQ(r.driver_rim_signer, "HCC RIM L4 Signer");
  EXPECT_EQ(r.fwid_hex,
            "80e48f4e7c8ff8f2681bc90cfb7018719049cc7e488dd76962fa0bf60a2f56a8a4d1de980f87236158c3b5119c6817f7");
  EXPECT_TRUE(contains(r.checks_not_done, kCheckRevocation));
  EXPECT_TRUE(contains(r.checks_not_done, kCheckFwid)) << "the report states no FWID: nothing to compare";
  EXPECT_FALSE(contains(r.checks_not_done, kCheckRims));
  EXPECT_GT(r.valid_until, parse_rfc3339("2200-01-01T00:00:00Z")) << "a chain valid to 9999 does not wrap around";
}

TEST(GpuVerifier, WithoutManifestsTheRestStillVerifiesAndSaysWhatWasNotChecked) {
  Case c;
  c.refs = {};
  GpuVerification r = c.run();
  ASSERT_TRUE(r.verified) << r.reason_text;
  EXPECT_EQ(r.measurements_checked, 0u);
  EXPECT_TRUE(contains(r.checks_not_done, kCheckRims));
  c.refs.driver_rim = driver_rim();
  EXPECT_EQ(c.run().reason, gpu_reason::kRimMissing) << "one manifest without the other";
}

std::string reason_of(const Case& c) {
  GpuVerification r = c.run();
  EXPECT_FALSE(r.verified);
  EXPECT_FALSE(r.reason_text.empty());
  return r.reason;
}

TEST(GpuVerifier, TamperedReportsAreRefusedWithTheirReason) {
  Case c;
  c.evidence.report.back() ^= 1;
  EXPECT_EQ(reason_of(c), gpu_reason::kReportSignature) << "a signature byte";
  c = Case{};
  c.evidence.report[45 + 7 + 10] ^= 1;  // inside block 2's value
  EXPECT_EQ(reason_of(c), gpu_reason::kReportSignature) << "a measurement byte";
  c = Case{};
  SpdmReport parsed = parse_spdm_report(c.evidence.report);
  std::size_t at = 3599;
  for (const auto& f : parsed.opaque) {
    if (f.type == opaque::kDriverVersion) break;
    at += 4 + f.value.size();
  }
  c.evidence.report[at + 4] ^= 1;  // the driver version's first character
  EXPECT_EQ(reason_of(c), gpu_reason::kReportSignature) << "a driver-version byte";
  c = Case{};
  c.evidence.report[10] ^= 1;
  EXPECT_EQ(reason_of(c), gpu_reason::kNonceMismatch) << "a nonce byte inside the report";
  c = Case{};
  c.nonce[0] ^= 1;
  EXPECT_EQ(reason_of(c), gpu_reason::kNonceMismatch) << "another expected nonce";
  c = Case{};
  c.evidence.report.pop_back();
  EXPECT_EQ(reason_of(c), gpu_reason::kMalformed) << "truncated by one byte";
}

// The chain, rewritten: `edit` changes the DER of certificate `index` (leaf = 0).
std::string edited_chain(std::size_t index, const std::function<void(Bytes&)>& edit) {
  auto certs = load_pem_certificates(real_chain());
  std::string pem;
  for (std::size_t i = 0; i < certs.size(); ++i) {
    Bytes der = certificate_der(certs[i].get());
    if (i == index) edit(der);
    pem += certificate_pem(load_der_certificate(der).get());
  }
  return pem;
}

TEST(GpuVerifier, ABadChainIsRefusedAndTheGpusOwnRootIsNeverTrusted) {
  Case c;
  c.evidence.chain_pem = edited_chain(0, [](Bytes& der) { der.back() ^= 1; });  // the leaf's signature
  EXPECT_EQ(reason_of(c), gpu_reason::kChainInvalid) << "a byte of the leaf's signature";
  c = Case{};
  c.trust.device = nvidia_rim_roots();
  EXPECT_EQ(reason_of(c), gpu_reason::kChainUntrusted) << "the RIM root pinned as the device root";
  c = Case{};
  c.trust.device = TrustAnchors::none();
  EXPECT_EQ(reason_of(c), gpu_reason::kChainUntrusted) << "the root the GPU supplies is dropped, not trusted";
  c = Case{};
  c.at = parse_rfc3339("2020-01-01T00:00:00Z");
  EXPECT_EQ(reason_of(c), gpu_reason::kChainExpired) << "before the chain's validity";
  c = Case{};
  auto certs = load_pem_certificates(real_chain());
  c.evidence.chain_pem.clear();
  for (std::size_t i = 1; i < certs.size(); ++i) c.evidence.chain_pem += certificate_pem(certs[i].get());
  EXPECT_EQ(reason_of(c), gpu_reason::kReportSignature) << "a chain without the attestation key's certificate";
  c = Case{};
  c.evidence.chain_pem = "not a certificate";
  EXPECT_EQ(reason_of(c), gpu_reason::kChainInvalid);
}

TEST(GpuVerifier, TamperedOrWrongManifestsAreRefusedWithTheirReason) {
  Case c;
  std::string edited = driver_rim();
  auto pos = edited.find("ns2:Hash0=\"0e0ee161");
  ASSERT_NE(pos, std::string::npos);
  edited[pos + 11] = '1';
  c.refs.driver_rim = edited;
  EXPECT_EQ(reason_of(c), gpu_reason::kRimInvalid) << "one Hash0 in the driver RIM";
  c = Case{};
  std::swap(c.refs.driver_rim, c.refs.vbios_rim);
  EXPECT_EQ(reason_of(c), gpu_reason::kDriverVersionMismatch) << "the RIMs swapped";
  c = Case{};
  c.at = parse_rfc3339("2026-12-04T00:00:00Z");
  EXPECT_EQ(reason_of(c), gpu_reason::kRimExpired) << "the RIM signers have expired by now";
  c = Case{};
  c.trust.rim = nvidia_device_roots();
  EXPECT_EQ(reason_of(c), gpu_reason::kRimUntrusted) << "a RIM whose signer is not under the pinned RIM root";
  c = Case{};
  c.refs.vbios_rim = "<not xml";
  EXPECT_EQ(reason_of(c), gpu_reason::kRimInvalid);
  c = Case{};
  c.refs.driver_rim = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>" + driver_rim();
  GpuVerification r = c.run();
  EXPECT_EQ(r.reason, gpu_reason::kRimInvalid);
  EXPECT_NE(r.reason_text.find("DTD"), std::string::npos) << r.reason_text;
}

TEST(GpuVerifier, AManifestWhoseSignatureDoesNotCoverTheEditedPartIsRefused) {
  // An extra Resource added outside the signed content changes the digest: refused.
  Case c;
  std::string edited = driver_rim();
  auto pos = edited.find("</ns0:Payload>");
  ASSERT_NE(pos, std::string::npos);
  edited.insert(pos, "<ns0:Resource type=\"Measurement\" index=\"63\" active=\"True\" alternatives=\"1\" "
                     "ns2:Hash0=\"" + std::string(96, '0') + "\" size=\"48\"/>");
  c.refs.driver_rim = edited;
  EXPECT_EQ(reason_of(c), gpu_reason::kRimInvalid);
}

TEST(GpuVerifier, TheLeafsDiceFwidIsReadFromTheHopperLayout) {
  auto certs = load_pem_certificates(real_chain());
  auto fwid = dice_fwid(certs[0].get());
  ASSERT_TRUE(fwid);
  EXPECT_EQ(to_hex(*fwid).substr(0, 16), "80e48f4e7c8ff8f2");
  EXPECT_FALSE(dice_fwid(certs[1].get())) << "the BROM certificate has no DICE extension";
}

}  // namespace
}  // namespace chrysalis::attest::gpu
