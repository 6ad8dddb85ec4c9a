#pragma once
// Locating tests/data/tdx: $CHRYSALIS_SOURCE_DIR, else walk up from the working directory.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "attest/quote/quote_crypto.h"

namespace chrysalis::attest::testing {

inline std::filesystem::path source_dir() {
  if (const char* env = std::getenv("CHRYSALIS_SOURCE_DIR")) return env;
  for (auto dir = std::filesystem::current_path(); !dir.empty(); dir = dir.parent_path()) {
    if (std::filesystem::exists(dir / "tests/data/tdx")) return dir;
    if (dir == dir.parent_path()) break;
  }
  throw std::runtime_error("tests/data/tdx not found: set CHRYSALIS_SOURCE_DIR");
}

inline std::vector<uint8_t> read_test_quote(const std::string& name) {
  std::ifstream in(source_dir() / "tests/data/tdx" / name, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read test quote " + name);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline const char* kQuoteV4 = "dcap-qvl_tdx_quote_v4.dat";
inline const char* kQuoteV5 = "go-tdx-guest_quote_v5_sample.dat";

// Inside both sample PCK leaves' validity windows (v5 leaf from 2026-01-27, v4 leaf to 2032).
inline std::chrono::system_clock::time_point sample_now() { return parse_rfc3339("2026-06-01T00:00:00Z"); }

}  // namespace chrysalis::attest::testing
