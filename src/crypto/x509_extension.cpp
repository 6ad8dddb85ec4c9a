#include "crypto/x509_extension.h"

#include <openssl/x509v3.h>

#include <stdexcept>
#include <string>

#include "crypto/openssl_util.h"

namespace chrysalis::crypto {

void add_conf_extension(X509* cert, int nid, const char* value, X509* issuer) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
  OsslPtr<X509_EXTENSION, X509_EXTENSION_free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    throw std::runtime_error(openssl_error(std::string("adding extension ") + value));
}

void add_octet_extension(X509* cert, const char* oid, std::span<const uint8_t> value, bool critical) {
  OsslPtr<ASN1_OBJECT, ASN1_OBJECT_free> obj(OBJ_txt2obj(oid, 1));
  OsslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> data(ASN1_OCTET_STRING_new());
  if (!obj || !data || ASN1_OCTET_STRING_set(data.get(), value.data(), static_cast<int>(value.size())) != 1)
    throw std::runtime_error(openssl_error(std::string("encoding extension ") + oid));
  OsslPtr<X509_EXTENSION, X509_EXTENSION_free> ext(
      X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), critical ? 1 : 0, data.get()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    throw std::runtime_error(openssl_error(std::string("adding extension ") + oid));
}

}  // namespace chrysalis::crypto
