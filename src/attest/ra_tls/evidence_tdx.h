#pragma once
#include <filesystem>

#include "attest/ra_tls/evidence_provider.h"

namespace chrysalis::attest {

// Quotes from Linux configfs-tsm (kernel >= 6.7): mkdir an entry under `root`, write the 64
// REPORTDATA bytes to inblob, read outblob, and check that `generation` moved by exactly our
// one write (otherwise another writer raced us: retry), then rmdir the entry.
class TdxEvidence : public EvidenceProvider {
 public:
  explicit TdxEvidence(std::filesystem::path root = "/sys/kernel/config/tsm/report");
  std::string kind() const override { return "tdx"; }
  std::string quote(const std::array<uint8_t, 64>& report_data) override;

 private:
  std::filesystem::path root_;
};

}  // namespace chrysalis::attest
