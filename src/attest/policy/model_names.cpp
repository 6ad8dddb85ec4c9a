#include "attest/policy/model_names.h"

namespace chrysalis::attest {

namespace {
// Peer-chosen text in a log line or a reason: bounded.
std::string shown(const std::string& text) { return text.size() <= 80 ? text : text.substr(0, 80) + "..."; }
}  // namespace

ModelNameRefusal ModelNames::check(const std::string& name, const std::string& attested_hash) const {
  auto it = hash_by_name_.find(name);
  if (it == hash_by_name_.end())
    return {"model_unknown", "announces model \"" + shown(name) +
                                 "\", which this node's [attestation] models does not name (no attested hash to "
                                 "check it against)"};
  if (it->second != attested_hash)
    return {"model_hash_mismatch", "announces model \"" + shown(name) + "\" (hash " + it->second +
                                       " in [attestation] models) but its certificate attests model hash " +
                                       (attested_hash.empty() ? std::string("(none)") : attested_hash)};
  return {};
}

}  // namespace chrysalis::attest
