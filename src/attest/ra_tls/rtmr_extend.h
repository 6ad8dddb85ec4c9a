#pragma once
// Measuring the configuration into a real TD's RTMR3 through the kernel's TDX guest measurement
// registers (Linux >= 6.16: /sys/class/misc/tdx_guest/measurements/rtmr3:sha384 reads the 48-byte
// register and extends it with 48 bytes written to it).
#include <filesystem>

#include "attest/quote/quote_bytes.h"

namespace chrysalis::attest {

inline constexpr const char* kTdxMeasurementsDir = "/sys/class/misc/tdx_guest/measurements";

// Makes RTMR3 equal rtmr3_for(config_digest): extends a zero RTMR3 once; leaves it alone when a
// previous start of this node in the same TD already measured the same configuration; throws
// std::runtime_error when it holds anything else (another configuration was measured in this TD:
// only a fresh TD can measure a new one, which is the point).
void measure_config_into_rtmr3(const Fixed<48>& config_digest,
                               const std::filesystem::path& measurements_dir = kTdxMeasurementsDir);

}  // namespace chrysalis::attest
