#pragma once
// The Intel SGX extension (OID 1.2.840.113741.1.13.1) of a PCK certificate: PPID, TCB (16 CPUSVN
// components, PCESVN, CPUSVN), PCE-ID, FMSPC and SGX type. Parsed from Intel's PCK leaf and written
// into the development CA's PCK-like leaf, so collateral matching runs the same code for both.
#include <openssl/x509.h>

#include <optional>

#include "attest/quote/quote_bytes.h"

namespace chrysalis::attest {

inline constexpr const char* kSgxExtensionOid = "1.2.840.113741.1.13.1";

struct SgxExtension {
  Fixed<16> ppid{};
  std::array<uint8_t, 16> cpu_svn_components{};  // TCB .2.1 .. .2.16
  uint16_t pce_svn = 0;                          // TCB .2.17
  Fixed<16> cpu_svn{};                           // TCB .2.18
  Fixed<2> pce_id{};
  Fixed<6> fmspc{};
  int sgx_type = 0;  // 0 standard, 1 scalable, 2 scalable with integrity
};

// Reads the extension of `cert`; throws std::runtime_error when it is missing or malformed.
SgxExtension read_sgx_extension(X509* cert);
// DER of the extension's value (a SEQUENCE of {OID, value} pairs).
Bytes encode_sgx_extension(const SgxExtension& ext);

}  // namespace chrysalis::attest
