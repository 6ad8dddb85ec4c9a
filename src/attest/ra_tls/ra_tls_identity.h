#pragma once
#include <filesystem>
#include <memory>
#include <string>

#include "attest/keys/sealing.h"
#include "attest/ra_tls/claims.h"
#include "attest/gpu/gpu_binding.h"
#include "attest/ra_tls/evidence_provider.h"
#include "crypto/tls_identity.h"

namespace chrysalis::attest {

// Where the node's long-lived key lives (attest/keys/sealing.h):
//   PlaintextFile - STATE/key.pem, 0600: only for nodes outside a TEE (provider "none": clients, tests)
//   Sealed        - STATE/key.sealed, encrypted under the key broker's sealing key for this image
//   Ephemeral     - memory only, a new identity each start (a TEE node without a key broker)
// A TEE node (Sealed, Ephemeral) refuses to start while a plaintext key.pem lies in its state
// directory: whoever could write it would otherwise be the node.
enum class KeyStorage { PlaintextFile, Sealed, Ephemeral };

struct RaTlsIdentityOptions {
  std::string role;  // proxy | worker | client
  std::string node_id;
  std::string model_hash;  // workers
  int64_t cert_hours = 6;
  std::filesystem::path state_dir;  // key.pem (kept across restarts) and the current cert.pem
  std::string config;               // the claims' config (MeasuredConfig::canonical()); empty without a quote
  KeyStorage storage = KeyStorage::PlaintextFile;
  SealingKey sealing_key{};    // Sealed
  std::string e2e_public_key;  // workers: the X25519 key put in the claims (raw, 32 bytes)
  // Workers with GPUs: their evidence, asked for with the claims' GPU nonce (attest/gpu/gpu_binding.h).
  std::shared_ptr<gpu::GpuEvidenceProvider> gpu;
};

// Issues short-lived RA-TLS certificates for one long-lived Ed25519 key: fresh claims (creation
// time now), a fresh quote over them, a new self-signed certificate.
class RaTlsIdentity {
 public:
  struct Key;  // the private key, defined in the .cpp
  RaTlsIdentity(std::shared_ptr<EvidenceProvider> evidence, RaTlsIdentityOptions options);
  ~RaTlsIdentity();
  // Throws std::runtime_error naming the failed step (evidence, signing, writing).
  crypto::TlsIdentity issue();
  const RaTlsIdentityOptions& options() const { return options_; }
  const EvidenceProvider& evidence() const { return *evidence_; }

 private:
  std::shared_ptr<EvidenceProvider> evidence_;
  RaTlsIdentityOptions options_;
  std::unique_ptr<Key> key_;
};

// SHA-256 of a GGUF file (streamed) / of an external engine's model name: a worker's model identity.
std::string model_hash_of_file(const std::filesystem::path& file);
std::string model_hash_of_name(const std::string& name);

}  // namespace chrysalis::attest
