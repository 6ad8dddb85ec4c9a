#include "attest/quote/dev_ca.h"

#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "attest/quote/quote_crypto.h"
#include "crypto/x509_extension.h"

namespace chrysalis::attest {

namespace {

void add_sgx_extension(X509* cert, const SgxExtension& sgx) {
  Bytes der = encode_sgx_extension(sgx);
  crypto::add_octet_extension(cert, kSgxExtensionOid, der, false);
}

void set_name(X509_NAME* name, const CertificateSpec& spec) {
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const uint8_t*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const uint8_t*>(spec.organization.c_str()), -1,
                             -1, 0);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("development CA: cannot read " + path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::filesystem::path& path, const std::string& text, bool secret) {
  std::filesystem::remove(path);
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("development CA: cannot write " + path.string());
  if (secret) ::chmod(path.c_str(), 0600);  // before the key bytes land in the file
  out << text;
  if (!out.flush()) throw std::runtime_error("development CA: cannot write " + path.string());
}

}  // namespace

std::shared_ptr<X509> issue_certificate(const CertificateSpec& spec, EVP_PKEY* key, X509* issuer_cert,
                                        EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  uint8_t serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  crypto::OsslPtr<BIGNUM, BN_free> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  set_name(X509_get_subject_name(cert.get()), spec);
  X509_set_issuer_name(cert.get(),
                       issuer_cert ? X509_get_subject_name(issuer_cert) : X509_get_subject_name(cert.get()));
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), std::chrono::system_clock::to_time_t(spec.not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), std::chrono::system_clock::to_time_t(spec.not_after));
  X509_set_pubkey(cert.get(), key);
  X509* issuer = issuer_cert ? issuer_cert : cert.get();
  if (spec.is_ca) {
    crypto::add_conf_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE", issuer);
    crypto::add_conf_extension(cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign", issuer);
  } else {
    crypto::add_conf_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE", issuer);
    crypto::add_conf_extension(cert.get(), NID_key_usage, "critical,digitalSignature,nonRepudiation", issuer);
  }
  crypto::add_conf_extension(cert.get(), NID_subject_key_identifier, "hash", issuer);
  if (issuer_cert) crypto::add_conf_extension(cert.get(), NID_authority_key_identifier, "keyid:always", issuer);
  if (spec.sgx_extension) add_sgx_extension(cert.get(), *spec.sgx_extension);
  if (!X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()))
    throw std::runtime_error(crypto::openssl_error("certificate signing"));
  return share(std::move(cert));
}

SgxExtension DevCaOptions::default_dev_pck_extension() {
  SgxExtension ext;
  ext.ppid.fill(0xd5);
  ext.cpu_svn_components = {2, 2, 2, 2, 3, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0};
  ext.pce_svn = 11;
  std::copy(ext.cpu_svn_components.begin(), ext.cpu_svn_components.end(), ext.cpu_svn.begin());
  ext.pce_id = {0, 0};
  ext.fmspc = {0x00, 0x90, 0xc3, 0xf0, 0x00, 0x00};  // marks the development platform
  return ext;
}

DevCa create_dev_ca(const DevCaOptions& o) {
  DevCa ca;
  ca.root_key = share(generate_p256_key());
  ca.pck_key = share(generate_p256_key());
  ca.attestation_key = share(generate_p256_key());
  CertificateSpec root{o.name + " Root CA", "Chrysalis", true, o.not_before, o.not_before + o.root_validity, nullptr};
  ca.root_cert = issue_certificate(root, ca.root_key.get(), nullptr, nullptr);
  CertificateSpec pck{o.name + " PCK Certificate",   "Chrysalis",     false, o.not_before,
                      o.not_before + o.pck_validity, &o.pck_extension};
  ca.pck_cert = issue_certificate(pck, ca.pck_key.get(), ca.root_cert.get(), ca.root_key.get());
  return ca;
}

std::string DevCa::root_pem() const { return certificate_pem(root_cert.get()); }
std::string DevCa::pck_chain_pem() const { return certificate_pem(pck_cert.get()) + certificate_pem(root_cert.get()); }
QuoteSigningMaterial DevCa::signing_material() const { return {pck_key, attestation_key, pck_chain_pem()}; }

void write_dev_ca(const DevCa& ca, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  write_file(dir / kDevRootCertFile, ca.root_pem(), false);
  write_file(dir / kDevRootKeyFile, private_key_pem(ca.root_key.get()), true);
  write_file(dir / kDevPckCertFile, certificate_pem(ca.pck_cert.get()), false);
  write_file(dir / kDevPckKeyFile, private_key_pem(ca.pck_key.get()), true);
  write_file(dir / kDevAttestationKeyFile, private_key_pem(ca.attestation_key.get()), true);
}

DevCa load_dev_ca(const std::filesystem::path& dir) {
  auto one_cert = [&](const char* file) {
    try {
      auto certs = load_pem_certificates(read_file(dir / file));
      return share(std::move(certs.front()));
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("development CA: ") + (dir / file).string() + ": " + e.what());
    }
  };
  auto one_key = [&](const char* file) {
    try {
      return share(load_private_key_pem(read_file(dir / file)));
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("development CA: ") + (dir / file).string() + ": " + e.what());
    }
  };
  DevCa ca;
  ca.root_cert = one_cert(kDevRootCertFile);
  ca.root_key = one_key(kDevRootKeyFile);
  ca.pck_cert = one_cert(kDevPckCertFile);
  ca.pck_key = one_key(kDevPckKeyFile);
  ca.attestation_key = one_key(kDevAttestationKeyFile);
  return ca;
}

}  // namespace chrysalis::attest
