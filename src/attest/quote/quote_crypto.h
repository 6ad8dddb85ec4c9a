#pragma once
#include <filesystem>
// OpenSSL glue for quotes: raw P-256 keys and r||s signatures (the quote's encoding) to and from
// OpenSSL's objects, certificate loading, digests.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attest/quote/quote_bytes.h"
#include "crypto/openssl_util.h"

namespace chrysalis::attest {

using PkeyPtr = crypto::OsslPtr<EVP_PKEY, EVP_PKEY_free>;
using X509Ptr = crypto::OsslPtr<X509, X509_free>;
using X509CrlPtr = crypto::OsslPtr<X509_CRL, X509_CRL_free>;

// Shared, copyable handles (certificates in results and trust anchors are shared).
std::shared_ptr<X509> share(X509Ptr cert);
std::shared_ptr<EVP_PKEY> share(PkeyPtr key);

Fixed<32> sha256(std::span<const uint8_t> data);
Fixed<48> sha384(std::span<const uint8_t> data);
// Digest of a whole file, streamed in 1 MiB pieces (`md`: EVP_sha256() or EVP_sha384()); `what`
// names the purpose in the error when the file cannot be read.
std::vector<uint8_t> digest_file(const std::filesystem::path& file, const EVP_MD* md, const std::string& what);

// P-256 public key from x||y; nullptr when the point is not on the curve.
PkeyPtr p256_public_key(const Fixed<64>& xy);
// x||y of a P-256 key (public or private).
Fixed<64> p256_public_xy(EVP_PKEY* key);
// ECDSA over `data` hashed with `md`, with a raw r||s signature (each half the curve's size:
// 32 bytes for P-256, 48 for P-384).
bool verify_ecdsa_raw(EVP_PKEY* key, const EVP_MD* md, std::span<const uint8_t> data,
                      std::span<const uint8_t> signature_rs);
// Sign with an EC private key; returns r||s, each padded to `component_bytes`.
Bytes sign_ecdsa_raw(EVP_PKEY* key, const EVP_MD* md, std::span<const uint8_t> data, std::size_t component_bytes);
// ECDSA-P256/SHA-256 over `data` with a raw r||s signature.
bool verify_p256_raw(EVP_PKEY* key, std::span<const uint8_t> data, std::span<const uint8_t> signature_rs);
// Sign with a P-256 private key; returns r||s.
Fixed<64> sign_p256_raw(EVP_PKEY* key, std::span<const uint8_t> data);
PkeyPtr generate_p256_key();

// Every certificate of a PEM text, in order; throws std::runtime_error naming the bad one.
std::vector<X509Ptr> load_pem_certificates(std::string_view pem);
X509Ptr load_der_certificate(std::span<const uint8_t> der);
Bytes certificate_der(X509* cert);
std::string certificate_pem(X509* cert);
std::string private_key_pem(EVP_PKEY* key);
PkeyPtr load_private_key_pem(std::string_view pem);
// A CRL given as PEM text or as DER bytes.
X509CrlPtr load_crl(std::span<const uint8_t> pem_or_der);

std::chrono::system_clock::time_point asn1_time_point(const ASN1_TIME* t);
// RFC 3339 / ISO 8601 UTC ("2026-01-02T03:04:05Z", fractional seconds and offsets accepted);
// throws std::invalid_argument.
std::chrono::system_clock::time_point parse_rfc3339(std::string_view text);
std::string format_rfc3339(std::chrono::system_clock::time_point t);

}  // namespace chrysalis::attest
