#include "crypto/peer_verifier.h"

#include <openssl/evp.h>

#include <ctime>

#include "common/hex.h"
#include "crypto/openssl_util.h"

namespace chrysalis::crypto {

PeerIdentity describe_certificate(X509* cert) {
  PeerIdentity id;
  if (EVP_PKEY* key = X509_get0_pubkey(cert)) {
    unsigned char raw[64];
    size_t len = sizeof raw;
    if (EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 && EVP_PKEY_get_raw_public_key(key, raw, &len) == 1)
      id.public_key_hex = to_hex(std::span<const uint8_t>(raw, len));
  }
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  id.common_name = cn;
  struct tm after {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &after) == 1) id.not_after_unix = timegm(&after);
  return id;
}

bool SelfSignedVerifier::verify(X509* cert, PeerIdentity& identity, std::string& reason) {
  identity = describe_certificate(cert);
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    reason = "certificate key is not Ed25519";
    return false;
  }
  if (X509_verify(cert, key) != 1) {
    reason = "certificate is not validly self-signed";
    return false;
  }
  if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) {
    reason = "certificate is not yet valid";
    return false;
  }
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
    reason = "certificate has expired";
    return false;
  }
  if (!pinned_.empty() && !pinned_.count(identity.public_key_hex)) {
    reason = "public key " + identity.public_key_hex + " is not in the pinned set";
    return false;
  }
  return true;
}

}  // namespace chrysalis::crypto
