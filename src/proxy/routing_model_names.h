#pragma once
// Which attested model hash each announced model name stands for ([attestation] models). A worker
// is routed under a name only when its RA-TLS certificate binds that name's hash, so a worker
// attested for one model cannot take requests for another.
#include <map>
#include <string>

namespace chrysalis::proxy {

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

}  // namespace chrysalis::proxy
