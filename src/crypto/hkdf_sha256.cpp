#include "crypto/hkdf_sha256.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <stdexcept>
#include <vector>

#include "crypto/openssl_util.h"

namespace chrysalis::crypto {
namespace {

OSSL_PARAM octets(const char* name, std::string_view bytes) {
  return OSSL_PARAM_construct_octet_string(name, const_cast<char*>(bytes.data()), bytes.size());
}

// One HKDF call in `mode`; `key` is the ikm for extract and the prk for expand.
std::string run_hkdf(int mode, std::string_view key, std::string_view salt, std::string_view info, std::size_t length) {
  OsslPtr<EVP_KDF, EVP_KDF_free> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) throw std::runtime_error(openssl_error("fetching HKDF"));
  OsslPtr<EVP_KDF_CTX, EVP_KDF_CTX_free> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) throw std::runtime_error(openssl_error("creating an HKDF context"));

  char digest[] = "SHA256";
  std::vector<OSSL_PARAM> params = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      octets(OSSL_KDF_PARAM_KEY, key),
  };
  // An absent salt is HKDF's default (zeros); a zero-length octet parameter is not accepted everywhere.
  if (!salt.empty()) params.push_back(octets(OSSL_KDF_PARAM_SALT, salt));
  if (!info.empty()) params.push_back(octets(OSSL_KDF_PARAM_INFO, info));
  params.push_back(OSSL_PARAM_construct_end());

  std::string out(length, '\0');
  if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), out.size(), params.data()) != 1)
    throw std::runtime_error(openssl_error("deriving with HKDF-SHA256"));
  return out;
}

}  // namespace

std::string hkdf_sha256_extract(std::string_view salt, std::string_view ikm) {
  return run_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ikm, salt, {}, kSha256Size);
}

std::string hkdf_sha256_expand(std::string_view prk, std::string_view info, std::size_t length) {
  if (length > 255 * kSha256Size) throw std::invalid_argument("HKDF-SHA256 cannot expand to more than 8160 bytes");
  if (length == 0) return {};
  return run_hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, {}, info, length);
}

}  // namespace chrysalis::crypto
