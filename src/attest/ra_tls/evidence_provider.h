#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>

namespace chrysalis::attest {

// Produces the quote that goes into a node's RA-TLS certificate. Three kinds:
//   tdx  - a real Intel TDX quote from Linux configfs-tsm (inside a TD);
//   sim  - a simulated TEE: real TDX v4 layout, measurements derived from the binary and the
//          measured configuration, signed through a development CA (evidence_sim.h);
//   none - no quote at all; every verifier refuses it unless its policy says allow_none.
class EvidenceProvider {
 public:
  virtual ~EvidenceProvider() = default;
  virtual std::string kind() const = 0;
  // Raw quote bytes carrying `report_data`; empty for "none". Throws std::runtime_error naming the problem.
  virtual std::string quote(const std::array<uint8_t, 64>& report_data) = 0;
};

class NoEvidence : public EvidenceProvider {
 public:
  std::string kind() const override { return "none"; }
  std::string quote(const std::array<uint8_t, 64>&) override { return {}; }
};

}  // namespace chrysalis::attest
