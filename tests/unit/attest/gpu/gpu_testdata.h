#pragma once
// The real H100 vector in tests/data/gpu (README.md there): report, chain, nonce, both RIMs.
#include <fstream>
#include <iterator>
#include <string>

#include "../quote/quote_testdata.h"
#include "attest/gpu/gpu_verifier.h"

namespace chrysalis::attest::gpu::testing {

inline std::string read_gpu_file(const std::string& name) {
  std::ifstream in(attest::testing::source_dir() / "tests/data/gpu" / name, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read tests/data/gpu/" + name);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline Bytes real_report() { return report_bytes_from_file_text(read_gpu_file("attestationReport.txt")); }
inline std::string real_chain() { return read_gpu_file("gpuAkCertChain.txt"); }
inline Bytes real_nonce() {
  std::string hex = read_gpu_file("nonce.hex");
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.pop_back();
  return from_hex(hex);
}
inline std::string driver_rim() { return read_gpu_file("Driver_RIM_test_no_gpu.swidtag"); }
inline std::string vbios_rim() { return read_gpu_file("1010_0200_882_96005E0001_test_no_gpu.swidtag"); }
// Inside both RIM signers' validity (README: "Verification time").
inline std::chrono::system_clock::time_point vector_time() { return parse_rfc3339("2024-06-01T00:00:00Z"); }

}  // namespace chrysalis::attest::gpu::testing
