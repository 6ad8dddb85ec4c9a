#pragma once
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chrysalis::attest {

// Our RA-TLS extensions live under a UUID-derived arc (ITU-T X.667 "2.25.<uuid as integer>",
// UUID 725f41c0-e40b-4650-925b-0c603cfbc95b): anyone may mint such an OID without
// registration and it cannot collide with another project's private enterprise number.
// Both extensions are critical OCTET STRINGs: a TLS stack that does not know them refuses the
// certificate rather than silently ignoring the attestation.
inline constexpr char kRaTlsArc[] = "2.25.152026593360048870708296576477005859163";
inline constexpr char kQuoteExtensionOid[] = "2.25.152026593360048870708296576477005859163.1";   // raw TDX quote
inline constexpr char kClaimsExtensionOid[] = "2.25.152026593360048870708296576477005859163.2";  // encoded Claims
// GPU evidence (attest/gpu/gpu_binding.h), not critical: a verifier that ignores it still binds it
// through the claims' hash of it, and one that needs it refuses a certificate without it.
inline constexpr char kGpuEvidenceExtensionOid[] = "2.25.152026593360048870708296576477005859163.3";
inline constexpr std::size_t kMaxQuoteBytes = 32 * 1024;

struct RaTlsCertificateSpec {
  EVP_PKEY* key = nullptr;     // Ed25519; signs the certificate and is the certified key
  std::string encoded_claims;  // encode_claims(...)
  std::string quote;           // raw quote bytes; empty = no quote extension (provider "none")
  int64_t not_before_unix = 0;
  int64_t not_after_unix = 0;
  std::string common_name;
  std::string gpu_evidence;  // encoded GPU evidence (attest/gpu/gpu_binding.h); empty = no GPU extension
};

// Self-signed X.509 v3: basicConstraints CA:FALSE and keyUsage digitalSignature (critical),
// extKeyUsage server+client auth, and the two RA-TLS extensions. Returns PEM; throws on failure.
std::string make_ra_tls_certificate_pem(const RaTlsCertificateSpec& spec);

struct RaTlsExtensions {
  std::optional<std::string> claims;
  std::optional<std::string> quote;
  std::optional<std::string> gpu_evidence;
  bool claims_critical = false, quote_critical = false;
  std::vector<std::string> unknown_critical;  // OIDs of critical extensions nobody here understands
};
RaTlsExtensions read_ra_tls_extensions(X509* cert);

// Raw 32-byte Ed25519 public key of a certificate, or empty when the key is not Ed25519.
std::string ed25519_public_key(X509* cert);

// Parses one PEM certificate; nullptr when it is not one.
X509* parse_certificate_pem(const std::string& pem);

}  // namespace chrysalis::attest
