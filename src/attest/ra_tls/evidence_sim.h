#pragma once
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "attest/policy/policy.h"
#include "attest/quote/dev_ca.h"
#include "attest/quote/tdx_quote.h"
#include "attest/ra_tls/evidence_provider.h"

namespace chrysalis::attest {

// The measured part of a node's configuration: what decides how the node behaves towards its
// peers and must therefore change its image hash. Allow-lists of peer image hashes are NOT
// measured (a proxy's list names worker images and a worker's names proxy images: measuring
// them would make every hash depend on every other), nor are ports, ids or the model (the model
// is bound separately, through the claims' model hash).
struct MeasuredConfig {
  std::string role;                       // proxy | worker | client
  std::vector<std::string> trust_labels;  // sorted: "intel", "dev:<root sha256>"
  bool allow_none = false;
  uint32_t protocol_version = 1;
};
MeasuredConfig measured_config(const std::string& role, const Policy& policy);

// Simulated TD measurements:
//   MRTD  = SHA-384 of the running binary's bytes (/proc/self/exe)
//   RTMRi = extended from zero as a TD would: RTMR <- SHA-384(RTMR || SHA-384(event)), with events
//           RTMR0 "chrysalis:role=<role>"
//           RTMR1 "chrysalis:trust=<label>" per trust label, then "chrysalis:allow_none=<0|1>"
//           RTMR2 "chrysalis:protocol=<version>"
//           RTMR3 no events (left for runtime measurements)
//   MRCONFIGID, MROWNER, MROWNERCONFIG zero.
TdReportBody sim_td_body(const MeasuredConfig& config, const std::filesystem::path& binary = "/proc/self/exe");
// The image hash a peer will compute for this node's simulated quotes (lowercase hex).
std::string sim_image_hash(const MeasuredConfig& config, const std::filesystem::path& binary = "/proc/self/exe");

class SimEvidence : public EvidenceProvider {
 public:
  // Loads the dev CA from `dev_ca_dir` (throws naming the missing file).
  SimEvidence(const std::filesystem::path& dev_ca_dir, const MeasuredConfig& config);
  std::string kind() const override { return "sim"; }
  std::string quote(const std::array<uint8_t, 64>& report_data) override;

 private:
  DevCa ca_;
  TdReportBody body_;
};

}  // namespace chrysalis::attest
