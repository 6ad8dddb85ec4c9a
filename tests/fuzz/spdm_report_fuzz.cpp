// libFuzzer target: the SPDM report parser for GPU evidence (attest/gpu/spdm_report.h), which
// reads bytes a worker's GPU (or a worker pretending) hands over. Any crash, sanitizer report or
// exception other than SpdmParseError is a bug; what parses must account for every byte.
#include <cstddef>
#include <cstdint>
#include <span>

#include "attest/gpu/gpu_json.h"
#include "attest/gpu/spdm_report.h"

using namespace chrysalis::attest::gpu;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  try {
    SpdmReport r = parse_spdm_report(bytes);
    if (r.signed_bytes + kSpdmSignatureBytes != size) __builtin_trap();  // lengths must add up
    (void)r.vbios_rim_name();
    GpuVerification v;
    v.report = std::move(r);
    (void)gpu_verification_to_json(v).dump();
  } catch (const SpdmParseError&) {
  }
  return 0;
}
