#pragma once
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "attest/policy/policy.h"
#include "attest/quote/dev_ca.h"
#include "attest/quote/tdx_quote.h"
#include "attest/ra_tls/evidence_provider.h"
#include "attest/ra_tls/measured_config.h"

namespace chrysalis::attest {

// Simulated TD measurements, laid out as a real TD's would be:
//   MRTD  = SHA-384 of the running binary's bytes (/proc/self/exe): the "image"
//   RTMR0..2 zero (a simulated TD has no firmware, kernel or initrd to measure)
//   RTMR3 = SHA-384(zero || SHA-384(measured config)), exactly what rtmr_extend.cpp makes a real
//           TD's RTMR3 hold (measured_config.h)
//   MRCONFIGID, MROWNER, MROWNERCONFIG zero.
TdReportBody sim_td_body(const MeasuredConfig& config, const std::filesystem::path& binary = "/proc/self/exe");
// The image hash a peer will compute for this node's simulated quotes (lowercase hex).
std::string sim_image_hash(const MeasuredConfig& config, const std::filesystem::path& binary = "/proc/self/exe");

class SimEvidence : public EvidenceProvider {
 public:
  // Loads the dev CA from `dev_ca_dir` (throws naming the missing file). `binary`: the image the
  // quotes claim (a test tool that forges a genuine node's quotes names that node's binary).
  SimEvidence(const std::filesystem::path& dev_ca_dir, const MeasuredConfig& config,
              const std::filesystem::path& binary = "/proc/self/exe");
  std::string kind() const override { return "sim"; }
  std::string quote(const std::array<uint8_t, 64>& report_data) override;

 private:
  DevCa ca_;
  TdReportBody body_;
};

}  // namespace chrysalis::attest
