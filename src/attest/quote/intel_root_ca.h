#pragma once
#include <cstdint>
#include <span>
#include <string_view>

namespace chrysalis::attest {

// DER of "CN=Intel SGX Root CA" (valid 2018-05-21 .. 2049-12-31), as published by Intel.
std::span<const uint8_t> intel_sgx_root_ca_der();

// SHA-256 of that DER; a test recomputes it.
inline constexpr std::string_view kIntelSgxRootCaSha256 =
    "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";

}  // namespace chrysalis::attest
