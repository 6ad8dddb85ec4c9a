#pragma once
// Revocation of a GPU's attestation-key chain, offline: CRLs the operator fetched while online
// (the URLs are in each certificate's CRL distribution points: `chrysalis attest gpu crl-urls`)
// and keeps in a directory. A certificate counts as checked when a CRL signed by its issuer and
// current at the verification time is present; one without such a CRL is listed as not checked,
// and a listed one refuses the evidence.
#include <openssl/x509.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace chrysalis::attest::gpu {

struct CrlSet {
  std::vector<std::shared_ptr<X509_CRL>> crls;
  uint64_t version = 0;  // changes whenever the set does (verification caches key on it)
};

// Every *.crl file in `dir` (PEM or DER; other files are left alone). Throws std::runtime_error naming a file
// that does not parse.
CrlSet load_crl_dir(const std::filesystem::path& dir);

// A CRL directory that an operator refreshes while nodes run: current() rereads it when a file
// changed, at most once per `min_interval`. A directory that fails to load keeps the last good set.
class CrlCache {
 public:
  explicit CrlCache(std::filesystem::path dir, std::chrono::seconds min_interval = std::chrono::seconds(10));
  std::shared_ptr<const CrlSet> current();
  const std::filesystem::path& dir() const { return dir_; }
  std::string last_error() const;

 private:
  std::string fingerprint() const;  // names, sizes and mtimes
  std::filesystem::path dir_;
  std::chrono::seconds min_interval_;
  mutable std::mutex mutex_;
  std::shared_ptr<const CrlSet> set_;
  std::string fingerprint_, error_;
  std::chrono::steady_clock::time_point checked_{};
};

struct RevocationCheck {
  std::size_t checked = 0, total = 0;  // certificates below the root, and how many a CRL covered
  std::vector<std::string> uncovered;  // "CN (why)"
  std::optional<std::string> revoked;  // the CN and date of a revoked certificate
  std::chrono::system_clock::time_point next_update = std::chrono::system_clock::time_point::max();
  std::string summary() const;
};

// `chain`: leaf first, the trust anchor last (as verify_chain returns it).
RevocationCheck check_revocation(const std::vector<std::shared_ptr<X509>>& chain, const CrlSet& crls,
                                 std::chrono::system_clock::time_point at);

// The CRL distribution point URLs of every certificate in `chain_pem`.
std::vector<std::string> crl_urls(const std::string& chain_pem);

}  // namespace chrysalis::attest::gpu
