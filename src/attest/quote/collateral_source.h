#pragma once
// Where quote verification finds a platform's collateral (collateral_store.h keeps it fresh from a
// PCS); kept free of Asio so every verifier can include it.
#include <cctype>
#include <chrono>
#include <memory>
#include <string>

#include "attest/quote/collateral.h"

namespace chrysalis::attest {

// An FMSPC as Intel's PCS writes it: upper-case hex (the key of every collateral lookup).
inline std::string canonical_fmspc(std::string fmspc) {
  for (auto& c : fmspc) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return fmspc;
}

struct CollateralEntry {
  Collateral collateral;
  std::string fingerprint;  // SHA-256 of the bundle (hex): verifications cached under it
  std::chrono::system_clock::time_point fetched{}, next_update{};
};

// Null: none yet for this platform (the source may be fetching it). Thread-safe.
class CollateralSource {
 public:
  virtual ~CollateralSource() = default;
  virtual std::shared_ptr<const CollateralEntry> get(const std::string& fmspc, const std::string& ca) = 0;
};

}  // namespace chrysalis::attest
