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

namespace {

void load_pem(RaTlsIdentity::Key& key, std::string pem, const std::string& origin) {
  key.pem = std::move(pem);
  key.pkey = load_private_key_pem(key.pem);
  if (!key.pkey || EVP_PKEY_get_id(key.pkey.get()) != EVP_PKEY_ED25519)
    throw std::runtime_error(origin + " is not an Ed25519 private key");
}

void generate(RaTlsIdentity::Key& key) {
  key.pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key.pkey) throw std::runtime_error(crypto::openssl_error("generating Ed25519 key"));
  key.pem = private_key_pem(key.pkey.get());
}

}  // namespace

RaTlsIdentity::RaTlsIdentity(std::shared_ptr<EvidenceProvider> evidence, RaTlsIdentityOptions options)
    : evidence_(std::move(evidence)), options_(std::move(options)), key_(std::make_unique<Key>()) {
  using P = std::filesystem::perms;
  const auto& dir = options_.state_dir;
  const auto plain_path = dir / "key.pem", sealed_path = dir / "key.sealed";
  const bool on_disk = !dir.empty();
  if (options_.storage != KeyStorage::PlaintextFile && on_disk && std::filesystem::exists(plain_path))
    throw std::runtime_error(plain_path.string() +
                             " holds a plaintext key: a node in a TEE never loads one (whoever wrote it could pose "
                             "as this node); its key is sealed in key.sealed. Remove key.pem to start.");
  if (on_disk) std::filesystem::create_directories(dir);  // cert.pem goes there in every mode
  switch (options_.storage) {
    case KeyStorage::PlaintextFile:
      if (on_disk && std::filesystem::exists(plain_path)) {
        load_pem(*key_, read_file(plain_path), plain_path.string());
      } else {
        generate(*key_);
        if (on_disk) {
          write_file(plain_path, key_->pem, P::owner_read | P::owner_write);
        }
      }
      break;
    case KeyStorage::Sealed: {
      const std::string context = "chrysalis-node-key|" + options_.role + "|" + options_.node_id;
      if (on_disk && std::filesystem::exists(sealed_path)) {
        auto pem = unseal(read_file(sealed_path), options_.sealing_key, context);
        if (!pem)
          throw std::runtime_error(sealed_path.string() +
                                   " was not sealed for this node's image and configuration (planted, copied from "
                                   "another node, or sealed before a configuration change): refusing it");
        load_pem(*key_, std::move(*pem), sealed_path.string());
      } else {
        generate(*key_);
        if (on_disk) {
          write_file(sealed_path, seal(key_->pem, options_.sealing_key, context), P::owner_read | P::owner_write);
        }
      }
      break;
    }
    case KeyStorage::Ephemeral:
      generate(*key_);
      break;
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
  claims.e2e_public_key = options_.e2e_public_key;
  std::string gpu_evidence;
  if (options_.gpu) {
    try {
      gpu_evidence = gpu::encode_gpu_evidence(options_.gpu->collect(gpu::gpu_nonce(claims)));
    } catch (const std::exception& e) {
      throw std::runtime_error("GPU evidence provider \"" + options_.gpu->kind() + "\": " + e.what());
    }
    claims.gpu_evidence_hash = gpu::gpu_evidence_hash(gpu_evidence);
  }
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
  spec.gpu_evidence = gpu_evidence;
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
