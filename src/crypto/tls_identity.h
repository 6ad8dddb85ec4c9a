#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

namespace chrysalis::crypto {

// A node's TLS identity: an Ed25519 key and a self-signed certificate for it.
// The attestation work replaces what goes into the certificate; callers only see this struct.
struct TlsIdentity {
  std::string key_pem;
  std::string cert_pem;
  std::string public_key_hex;  // raw 32-byte Ed25519 public key
  int64_t not_after_unix = 0;
};

// Loads key.pem/cert.pem from `dir`, creating them (key mode 0600) when missing or when the
// certificate expires within `renew_before_s`.
TlsIdentity load_or_create_identity(const std::filesystem::path& dir, const std::string& common_name,
                                    int64_t validity_s = 86400, int64_t renew_before_s = 3600);

// In-memory identity, used by tests and tools.
TlsIdentity create_identity(const std::string& common_name, int64_t validity_s);

}  // namespace chrysalis::crypto
