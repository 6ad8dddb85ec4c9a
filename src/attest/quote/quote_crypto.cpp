#include "attest/quote/quote_crypto.h"

#include <algorithm>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <stdexcept>

namespace chrysalis::attest {

using BioPtr = crypto::OsslPtr<BIO, BIO_free_all>;
using MdCtxPtr = crypto::OsslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using EcdsaSigPtr = crypto::OsslPtr<ECDSA_SIG, ECDSA_SIG_free>;
using BnPtr = crypto::OsslPtr<BIGNUM, BN_free>;

std::shared_ptr<X509> share(X509Ptr cert) { return {cert.release(), X509_free}; }
std::shared_ptr<EVP_PKEY> share(PkeyPtr key) { return {key.release(), EVP_PKEY_free}; }

Fixed<32> sha256(std::span<const uint8_t> data) {
  Fixed<32> out{};
  SHA256(data.data(), data.size(), out.data());
  return out;
}

Fixed<48> sha384(std::span<const uint8_t> data) {
  Fixed<48> out{};
  SHA384(data.data(), data.size(), out.data());
  return out;
}

PkeyPtr p256_public_key(const Fixed<64>& xy) {
  // SubjectPublicKeyInfo prefix for id-ecPublicKey / prime256v1, uncompressed point.
  static constexpr uint8_t kSpkiPrefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                            0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                            0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};
  uint8_t der[sizeof kSpkiPrefix + 64];
  std::memcpy(der, kSpkiPrefix, sizeof kSpkiPrefix);
  std::memcpy(der + sizeof kSpkiPrefix, xy.data(), 64);
  const uint8_t* p = der;
  PkeyPtr key(d2i_PUBKEY(nullptr, &p, sizeof der));
  if (!key) ERR_clear_error();  // a point off the curve: the caller reports it
  return key;
}

Fixed<64> p256_public_xy(EVP_PKEY* key) {
  uint8_t buf[65];
  size_t len = 0;
  if (!EVP_PKEY_get_octet_string_param(key, "encoded-pub-key", buf, sizeof buf, &len) || len != 65 || buf[0] != 4)
    throw std::runtime_error(crypto::openssl_error("not an uncompressed P-256 public key"));
  Fixed<64> out{};
  std::memcpy(out.data(), buf + 1, 64);
  return out;
}

bool verify_ecdsa_raw(EVP_PKEY* key, const EVP_MD* md, std::span<const uint8_t> data,
                      std::span<const uint8_t> signature_rs) {
  if (!key || signature_rs.empty() || signature_rs.size() % 2) return false;
  int half = static_cast<int>(signature_rs.size() / 2);
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(signature_rs.data(), half, nullptr);
  BIGNUM* s = BN_bin2bn(signature_rs.data() + half, half, nullptr);
  if (!sig || !r || !s || !ECDSA_SIG_set0(sig.get(), r, s)) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  uint8_t* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) == 1 &&
            EVP_DigestVerify(ctx.get(), der, size_t(der_len), data.data(), data.size()) == 1;
  OPENSSL_free(der);
  ERR_clear_error();
  return ok;
}

bool verify_p256_raw(EVP_PKEY* key, std::span<const uint8_t> data, std::span<const uint8_t> signature_rs) {
  return signature_rs.size() == 64 && verify_ecdsa_raw(key, EVP_sha256(), data, signature_rs);
}

Bytes sign_ecdsa_raw(EVP_PKEY* key, const EVP_MD* md, std::span<const uint8_t> data, std::size_t component_bytes) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) != 1)
    throw std::runtime_error(crypto::openssl_error("ECDSA sign"));
  Bytes der(len);
  if (EVP_DigestSign(ctx.get(), der.data(), &len, data.data(), data.size()) != 1)
    throw std::runtime_error(crypto::openssl_error("ECDSA sign"));
  const uint8_t* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, long(len)));
  if (!sig) throw std::runtime_error(crypto::openssl_error("ECDSA signature decode"));
  Bytes out(2 * component_bytes);
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out.data(), int(component_bytes));
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out.data() + component_bytes, int(component_bytes));
  return out;
}

Fixed<64> sign_p256_raw(EVP_PKEY* key, std::span<const uint8_t> data) {
  Bytes rs = sign_ecdsa_raw(key, EVP_sha256(), data, 32);
  Fixed<64> out{};
  std::copy(rs.begin(), rs.end(), out.begin());
  return out;
}

PkeyPtr generate_p256_key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) throw std::runtime_error(crypto::openssl_error("P-256 key generation"));
  return key;
}

std::vector<X509Ptr> load_pem_certificates(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), int(pem.size())));
  std::vector<X509Ptr> out;
  for (;;) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (!cert) break;
    out.emplace_back(cert);
  }
  unsigned long err = ERR_peek_last_error();
  bool clean_end = ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
  if (err && !clean_end) {
    std::string msg =
        crypto::openssl_error("certificate " + std::to_string(out.size() + 1) + " of the PEM chain is not valid");
    ERR_clear_error();
    throw std::runtime_error(msg);
  }
  ERR_clear_error();
  if (out.empty()) throw std::runtime_error("no certificate in the PEM text");
  return out;
}

X509Ptr load_der_certificate(std::span<const uint8_t> der) {
  const uint8_t* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, long(der.size())));
  if (!cert) throw std::runtime_error(crypto::openssl_error("DER certificate"));
  return cert;
}

Bytes certificate_der(X509* cert) {
  int len = i2d_X509(cert, nullptr);
  if (len <= 0) throw std::runtime_error(crypto::openssl_error("certificate encoding"));
  Bytes out(static_cast<size_t>(len));
  uint8_t* p = out.data();
  i2d_X509(cert, &p);
  return out;
}

namespace {
std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, size_t(len));
}
}  // namespace

std::string certificate_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_X509(bio.get(), cert)) throw std::runtime_error(crypto::openssl_error("PEM encode"));
  return bio_text(bio.get());
}

std::string private_key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr))
    throw std::runtime_error(crypto::openssl_error("PEM encode key"));
  return bio_text(bio.get());
}

PkeyPtr load_private_key_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), int(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) throw std::runtime_error(crypto::openssl_error("private key PEM"));
  return key;
}

X509CrlPtr load_crl(std::span<const uint8_t> data) {
  std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  X509CrlPtr crl;
  if (text.find("-----BEGIN X509 CRL-----") != std::string_view::npos) {
    BioPtr bio(BIO_new_mem_buf(data.data(), int(data.size())));
    crl.reset(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const uint8_t* p = data.data();
    crl.reset(d2i_X509_CRL(nullptr, &p, long(data.size())));
  }
  if (!crl) {
    std::string msg = crypto::openssl_error("CRL is neither PEM nor DER");
    ERR_clear_error();
    throw std::runtime_error(msg);
  }
  return crl;
}

std::chrono::system_clock::time_point asn1_time_point(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) throw std::runtime_error("invalid ASN.1 time");
  // "Never expires" certificates say 9999-12-31, past what the clock's nanoseconds hold (2262).
  using namespace std::chrono;
  const auto latest = duration_cast<seconds>(system_clock::time_point::max().time_since_epoch()).count();
  time_t secs = timegm(&tm);
  if (secs >= latest) return system_clock::time_point::max();
  return system_clock::from_time_t(secs);
}

std::chrono::system_clock::time_point parse_rfc3339(std::string_view text) {
  std::string s(text);
  int y, mo, d, h, mi, sec, used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 || used == 0)
    throw std::invalid_argument("not an RFC 3339 time: " + s);
  size_t i = size_t(used);
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  }
  long offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) throw std::invalid_argument("bad UTC offset in " + s);
    offset = (s[i] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
    i += 6;
  } else {
    throw std::invalid_argument("RFC 3339 time without a zone (add Z): " + s);
  }
  if (i != s.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
    throw std::invalid_argument("not an RFC 3339 time: " + s);
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return std::chrono::system_clock::from_time_t(timegm(&tm) - offset);
}

std::string format_rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::vector<uint8_t> digest_file(const std::filesystem::path& file, const EVP_MD* md, const std::string& what) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string() + " to " + what);
  crypto::OsslPtr<EVP_MD_CTX, EVP_MD_CTX_free> ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), md, nullptr);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(in.gcount()));
  }
  std::vector<uint8_t> out(EVP_MD_get_size(md));
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), out.data(), &len);
  return out;
}

}  // namespace chrysalis::attest
