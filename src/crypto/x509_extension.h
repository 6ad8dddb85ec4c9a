#pragma once
// Adding extensions to a certificate being built: the one helper for the TLS, RA-TLS and dev-CA
// certificates.
#include <openssl/x509.h>

#include <cstdint>
#include <span>

namespace chrysalis::crypto {

// An extension OpenSSL builds from its configuration text, e.g. NID_key_usage with
// "critical,digitalSignature". `issuer` (the certificate itself when null) serves
// authorityKeyIdentifier. Throws std::runtime_error with OpenSSL's reason.
void add_conf_extension(X509* cert, int nid, const char* value, X509* issuer = nullptr);

// An extension whose value is the given octets under `oid` (dotted text).
void add_octet_extension(X509* cert, const char* oid, std::span<const uint8_t> value, bool critical);

}  // namespace chrysalis::crypto
