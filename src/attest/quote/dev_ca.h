#pragma once
// Development attestation CA for the simulated TEE: dev root CA (ECDSA P-256, self-signed) ->
// "PCK-like" leaf (carries the Intel SGX extension, so the verifier's PCK code runs unchanged) ->
// attestation key (a bare P-256 key pair, bound through the QE report like Intel's).
// Quotes signed through it verify only where TrustAnchors explicitly include this root.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "attest/quote/quote_builder.h"
#include "attest/quote/sgx_extension.h"

namespace chrysalis::attest {

struct DevCa {
  std::shared_ptr<X509> root_cert;
  std::shared_ptr<EVP_PKEY> root_key;
  std::shared_ptr<X509> pck_cert;
  std::shared_ptr<EVP_PKEY> pck_key;
  std::shared_ptr<EVP_PKEY> attestation_key;

  std::string root_pem() const;
  std::string pck_chain_pem() const;  // PCK-like leaf, then the root
  QuoteSigningMaterial signing_material() const;
};

struct DevCaOptions {
  std::string name = "Chrysalis Development";  // CNs: "<name> Root CA", "<name> PCK Certificate"
  std::chrono::system_clock::time_point not_before = std::chrono::system_clock::now() - std::chrono::hours(1);
  std::chrono::hours root_validity{24 * 365 * 10};
  std::chrono::hours pck_validity{24 * 365 * 5};
  SgxExtension pck_extension = default_dev_pck_extension();
  static SgxExtension default_dev_pck_extension();
};

DevCa create_dev_ca(const DevCaOptions& options = {});

// Files written by `chrysalis attest dev-ca --out DIR` (keys are created 0600).
inline constexpr const char* kDevRootCertFile = "dev_root_ca.pem";
inline constexpr const char* kDevRootKeyFile = "dev_root_ca.key";
inline constexpr const char* kDevPckCertFile = "dev_pck.pem";
inline constexpr const char* kDevPckKeyFile = "dev_pck.key";
inline constexpr const char* kDevAttestationKeyFile = "dev_attestation.key";

void write_dev_ca(const DevCa& ca, const std::filesystem::path& dir);
// Throws std::runtime_error naming the missing or unreadable file.
DevCa load_dev_ca(const std::filesystem::path& dir);

// General certificate issuing, also used by tests for collateral signers and foreign roots.
struct CertificateSpec {
  std::string common_name;
  std::string organization = "Chrysalis";
  bool is_ca = false;
  std::chrono::system_clock::time_point not_before = std::chrono::system_clock::now() - std::chrono::hours(1);
  std::chrono::system_clock::time_point not_after = std::chrono::system_clock::now() + std::chrono::hours(24 * 365);
  const SgxExtension* sgx_extension = nullptr;  // PCK-like leaves
};
// issuer_cert == nullptr: self-signed with `key`.
std::shared_ptr<X509> issue_certificate(const CertificateSpec& spec, EVP_PKEY* key, X509* issuer_cert,
                                        EVP_PKEY* issuer_key);

}  // namespace chrysalis::attest
