#include "attest/ra_tls/ra_tls_identity.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "attest/quote/quote_crypto.h"
#include "attest/ra_tls/ra_tls_cert.h"
#include "common/file_io.h"
#include "common/time.h"
#include "crypto/openssl_util.h"

namespace chrysalis::attest {

struct RaTlsIdentity::Key {
  PkeyPtr pkey;
  std::string pem;
};

RaTlsIdentity::RaTlsIdentity(std::shared_ptr<EvidenceProvider> evidence, RaTlsIdentityOptions options)
    : evidence_(std::move(evidence)), options_(std::move(options)), key_(std::make_unique<Key>()) {
  auto key_path = options_.state_dir / "key.pem";
  if (!options_.state_dir.empty() && std::filesystem::exists(key_path)) {
    key_->pem = read_file(key_path);
    key_->pkey = load_private_key_pem(key_->pem);
    if (!key_->pkey || EVP_PKEY_get_id(key_->pkey.get()) != EVP_PKEY_ED25519)
      throw std::runtime_error(key_path.string() + " is not an Ed25519 private key");
  } else {
    key_->pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (!key_->pkey) throw std::runtime_error(crypto::openssl_error("generating Ed25519 key"));
    key_->pem = private_key_pem(key_->pkey.get());
    if (!options_.state_dir.empty()) {
      std::filesystem::create_directories(options_.state_dir);
      using P = std::filesystem::perms;
      write_file(key_path, key_->pem, P::owner_read | P::owner_write);
    }
  }
}

RaTlsIdentity::~RaTlsIdentity() = default;

crypto::TlsIdentity RaTlsIdentity::issue() {
  Claims claims;
  claims.role = options_.role;
  unsigned char raw[32];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key_->pkey.get(), raw, &len) != 1 || len != 32)
    throw std::runtime_error(crypto::openssl_error("reading the Ed25519 public key"));
  std::copy(raw, raw + 32, claims.public_key.begin());
  claims.created_unix = unix_now_us() / 1000000;
  claims.model_hash = options_.model_hash;
  claims.node_id = options_.node_id;
  claims.config = options_.config;
  std::string encoded = encode_claims(claims);
  std::string quote;
  try {
    quote = evidence_->quote(claims_report_data(encoded));
  } catch (const std::exception& e) {
    throw std::runtime_error("attestation provider \"" + evidence_->kind() + "\": " + e.what());
  }
  RaTlsCertificateSpec spec;
  spec.key = key_->pkey.get();
  spec.encoded_claims = encoded;
  spec.quote = quote;
  spec.not_before_unix = claims.created_unix - 300;  // peers with slightly slow clocks still accept it
  spec.not_after_unix = claims.created_unix + options_.cert_hours * 3600;
  spec.common_name = options_.node_id.empty() ? options_.role : options_.node_id;
  crypto::TlsIdentity id;
  id.key_pem = key_->pem;
  id.cert_pem = make_ra_tls_certificate_pem(spec);
  id.public_key_hex = to_hex(claims.public_key);
  id.not_after_unix = spec.not_after_unix;
  if (!options_.state_dir.empty()) {
    using P = std::filesystem::perms;
    write_file(options_.state_dir / "cert.pem", id.cert_pem,
               P::owner_read | P::owner_write | P::group_read | P::others_read);
  }
  return id;
}

std::string model_hash_of_file(const std::filesystem::path& file) {
  return to_hex(digest_file(file, EVP_sha256(), "hash the model"));
}

std::string model_hash_of_name(const std::string& name) {
  return to_hex(sha256(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(name.data()), name.size())));
}

}  // namespace chrysalis::attest
