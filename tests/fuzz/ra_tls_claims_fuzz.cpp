// libFuzzer target: the claims a peer's RA-TLS certificate carries (attest/ra_tls/claims.h), decoded
// strictly. Whatever decodes must encode back to the very same bytes: one value, one encoding, so a
// quote's REPORTDATA (SHA-512 of these bytes) cannot be matched by a second spelling of the claims.
#include <cstddef>
#include <cstdint>
#include <string>

#include "attest/ra_tls/claims.h"

using namespace chrysalis::attest;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto claims = decode_claims(bytes, error);
  if (!claims) {
    if (error.empty()) __builtin_trap();  // a refusal always says why
    return 0;
  }
  if (encode_claims(*claims) != bytes) __builtin_trap();
  (void)claims_report_data(bytes);
  return 0;
}
