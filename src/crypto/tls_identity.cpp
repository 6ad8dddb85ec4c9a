#include "crypto/tls_identity.h"

#include "common/file_io.h"
#include "common/hex.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <sstream>

#include "common/time.h"
#include "crypto/openssl_util.h"
#include "crypto/x509_extension.h"

namespace chrysalis::crypto {
namespace {

using Pkey = OsslPtr<EVP_PKEY, EVP_PKEY_free>;
using Cert = OsslPtr<X509, X509_free>;
using Bio = OsslPtr<BIO, BIO_free_all>;

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string raw_public_key_hex(EVP_PKEY* key) {
  unsigned char raw[32];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1) throw std::runtime_error(openssl_error("reading public key"));
  return to_hex(std::span<const uint8_t>(raw, len));
}

TlsIdentity make_identity(EVP_PKEY* key, const std::string& common_name, int64_t validity_s) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set_int64(X509_get_serialNumber(cert.get()), unix_now_us());
  int64_t now = unix_now_us() / 1000000;
  // Backdate a little so peers with slightly skewed clocks accept it.
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(now - 300));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(now + validity_s));
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Chrysalis"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), name);
  add_conf_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_conf_extension(cert.get(), NID_key_usage, "critical,digitalSignature");
  add_conf_extension(cert.get(), NID_ext_key_usage, "serverAuth,clientAuth");
  if (X509_sign(cert.get(), key, nullptr) == 0) throw std::runtime_error(openssl_error("signing certificate"));

  Bio key_bio(BIO_new(BIO_s_mem())), cert_bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_X509(cert_bio.get(), cert.get());
  return TlsIdentity{bio_to_string(key_bio.get()), bio_to_string(cert_bio.get()), raw_public_key_hex(key),
                     now + validity_s};
}

Pkey parse_key(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

}  // namespace

TlsIdentity create_identity(const std::string& common_name, int64_t validity_s) {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) throw std::runtime_error(openssl_error("generating Ed25519 key"));
  return make_identity(key.get(), common_name, validity_s);
}

TlsIdentity load_or_create_identity(const std::filesystem::path& dir, const std::string& common_name,
                                    int64_t validity_s, int64_t renew_before_s) {
  std::filesystem::create_directories(dir);
  auto key_path = dir / "key.pem";
  auto cert_path = dir / "cert.pem";
  Pkey key;
  if (std::filesystem::exists(key_path)) {
    key = parse_key(read_file(key_path));
    if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519)
      throw std::runtime_error(key_path.string() + " is not an Ed25519 private key");
  } else {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (!key) throw std::runtime_error(openssl_error("generating Ed25519 key"));
  }
  if (std::filesystem::exists(cert_path)) {
    std::string pem = read_file(cert_path);
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert && X509_check_private_key(cert.get(), key.get()) == 1) {
      int64_t now = unix_now_us() / 1000000;
      time_t renew_at = static_cast<time_t>(now + renew_before_s);
      if (X509_cmp_time(X509_get0_notAfter(cert.get()), &renew_at) > 0) {
        Bio key_bio(BIO_new(BIO_s_mem()));
        PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
        struct tm tm_after {};
        ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm_after);
        return TlsIdentity{bio_to_string(key_bio.get()), pem, raw_public_key_hex(key.get()),
                           static_cast<int64_t>(timegm(&tm_after))};
      }
    }
  }
  TlsIdentity identity = make_identity(key.get(), common_name, validity_s);
  using P = std::filesystem::perms;
  write_file(key_path, identity.key_pem, P::owner_read | P::owner_write);
  write_file(cert_path, identity.cert_pem, P::owner_read | P::owner_write | P::group_read | P::others_read);
  return identity;
}

}  // namespace chrysalis::crypto
