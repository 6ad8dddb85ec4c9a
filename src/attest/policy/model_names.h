#pragma once
// Which attested model hash each model name stands for ([attestation] models). The proxy routes a
// worker under a name, and an e2e client seals a prompt for it, only when its RA-TLS certificate
// binds that name's hash, so a worker attested for one model cannot take requests for another.
#include <map>
#include <string>

namespace chrysalis::attest {

struct ModelNameRefusal {
  std::string code;     // model_unknown | model_hash_mismatch; empty: accepted
  std::string message;  // names the model, both hashes and the config key
};

class ModelNames {
 public:
  explicit ModelNames(std::map<std::string, std::string> hash_by_name) : hash_by_name_(std::move(hash_by_name)) {}
  // Checks a worker announcing `name` whose certificate binds `attested_hash`.
  ModelNameRefusal check(const std::string& name, const std::string& attested_hash) const;
  const std::map<std::string, std::string>& hashes() const { return hash_by_name_; }

 private:
  std::map<std::string, std::string> hash_by_name_;
};

}  // namespace chrysalis::attest
