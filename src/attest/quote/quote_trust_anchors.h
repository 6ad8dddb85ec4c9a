#pragma once
// The root certificates a quote's PCK chain (and collateral signing chains) may end at.
// Default: only the Intel SGX Root CA pinned in the binary. A development root (dev_ca.h) is
// trusted only when a caller adds it explicitly; a network must opt in through its configuration.
#include <openssl/x509.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace chrysalis::attest {

class TrustAnchors {
 public:
  // Only Intel's pinned root.
  static TrustAnchors intel();
  // No roots at all: every chain is refused (tests).
  static TrustAnchors none() { return TrustAnchors(); }
  // The certificates of a PEM file (a development root); throws std::runtime_error naming the file.
  static TrustAnchors from_pem_file(const std::filesystem::path& path);

  void add(std::shared_ptr<X509> root);
  void add_pem(std::string_view pem);  // every certificate in the text
  const std::vector<std::shared_ptr<X509>>& roots() const { return roots_; }
  bool includes_intel() const;
  // A short description for logs: "intel", "dev:<sha256 prefix>", ...
  std::string describe() const;

 private:
  std::vector<std::shared_ptr<X509>> roots_;
};

// Hex SHA-256 of a certificate's DER, and COCOON's "root key id": SHA-384 of the uncompressed key.
std::string certificate_sha256_hex(X509* cert);
std::string root_key_id_hex(X509* cert);

}  // namespace chrysalis::attest
