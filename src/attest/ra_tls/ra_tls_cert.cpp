#include "attest/ra_tls/ra_tls_cert.h"

#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "crypto/openssl_util.h"
#include "crypto/x509_extension.h"

namespace chrysalis::attest {
namespace {

using crypto::add_conf_extension;
using crypto::add_octet_extension;
using crypto::openssl_error;
using crypto::OsslPtr;
using crypto::oid_text;

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string octets(X509_EXTENSION* ext) {
  ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<size_t>(ASN1_STRING_length(data)));
}

}  // namespace

std::string make_ra_tls_certificate_pem(const RaTlsCertificateSpec& spec) {
  if (!spec.key || EVP_PKEY_get_id(spec.key) != EVP_PKEY_ED25519)
    throw std::runtime_error("RA-TLS certificates need an Ed25519 key");
  if (spec.quote.size() > kMaxQuoteBytes)
    throw std::runtime_error("quote of " + std::to_string(spec.quote.size()) + " bytes exceeds the 32 KiB limit");
  OsslPtr<X509, X509_free> cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  OsslPtr<BIGNUM, BN_free> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(spec.not_before_unix));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(spec.not_after_unix));
  X509_set_pubkey(cert.get(), spec.key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Chrysalis"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  add_conf_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_conf_extension(cert.get(), NID_key_usage, "critical,digitalSignature");
  add_conf_extension(cert.get(), NID_ext_key_usage, "serverAuth,clientAuth");
  if (!spec.quote.empty()) add_octet_extension(cert.get(), kQuoteExtensionOid, as_bytes(spec.quote), true);
  add_octet_extension(cert.get(), kClaimsExtensionOid, as_bytes(spec.encoded_claims), true);
  if (!spec.gpu_evidence.empty())
    add_octet_extension(cert.get(), kGpuEvidenceExtensionOid, as_bytes(spec.gpu_evidence), false);
  if (X509_sign(cert.get(), spec.key, nullptr) == 0) throw std::runtime_error(openssl_error("signing certificate"));
  OsslPtr<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

RaTlsExtensions read_ra_tls_extensions(X509* cert) {
  RaTlsExtensions out;
  int count = X509_get_ext_count(cert);
  for (int i = 0; i < count; ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert, i);
    std::string oid = oid_text(X509_EXTENSION_get_object(ext));
    bool critical = X509_EXTENSION_get_critical(ext) == 1;
    if (oid == kQuoteExtensionOid) {
      out.quote = octets(ext);
      out.quote_critical = critical;
    } else if (oid == kClaimsExtensionOid) {
      out.claims = octets(ext);
      out.claims_critical = critical;
    } else if (oid == kGpuEvidenceExtensionOid) {
      out.gpu_evidence = octets(ext);
    } else if (critical) {
      int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
      if (nid != NID_basic_constraints && nid != NID_key_usage) out.unknown_critical.push_back(oid);
    }
  }
  return out;
}

std::string ed25519_public_key(X509* cert) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) return {};
  unsigned char raw[32];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1 || len != 32) return {};
  return std::string(reinterpret_cast<char*>(raw), len);
}

X509* parse_certificate_pem(const std::string& pem) {
  OsslPtr<BIO, BIO_free_all> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
}

}  // namespace chrysalis::attest
