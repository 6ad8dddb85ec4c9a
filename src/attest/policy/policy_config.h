#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "attest/policy/policy.h"
#include "attest/policy/registry_settings.h"

namespace chrysalis {
class TomlReader;
}

namespace chrysalis::attest {

// The [attestation] section shared by worker, proxy and client configs (docs/INTERFACES.md).
struct AttestationSettings {
  std::string provider = "none";            // tdx | sim | none (what this node presents)
  std::filesystem::path dev_ca;             // sim: the dev CA directory that signs simulated quotes
  std::vector<std::string> trust{"intel"};  // roots accepted in peers' quotes: "intel", "dev:PATH"
  bool allow_none = false;
  std::vector<std::string> allowed_proxy_images, allowed_worker_images, allowed_models, allowed_mrtd;
  std::vector<std::string> allowed_keybroker_images;  // always from here, also in registry mode
  // [keys] broker: "host:port" of the key broker that seals this node's key (attest/keys/).
  std::string key_broker;
  std::vector<std::string> allowed_rtmr;  // "rtmr0:rtmr1:rtmr2:rtmr3"
  std::vector<std::string> pinned_client_keys;
  // models = { "name" = "sha256" }: the model hash a worker announcing each name must have
  // attested (the proxy routes by it; the root contract lists hashes only, so names live here).
  std::map<std::string, std::string> model_names;
  int64_t recheck_s = 60;  // live connections are re-checked this often (certificate expiry)
  int64_t max_cert_age_hours = 24;
  int64_t cert_hours = 6;       // lifetime of our own certificate; renewed at 2/3 of it
  int pow_difficulty = 18;      // proxy listeners; 0 = no puzzle
  bool expect_pow = true;       // worker/client: the proxy demands a puzzle
  int pow_max_difficulty = 24;  // worker/client: refuse harder puzzles
  // GPU evidence this node presents (workers): "none" | "nvml" (the GPUs, through NVIDIA's library
  // at gpu_nvml_library; checked against gpu_trust before it is presented) | "sim" (simulated GPUs
  // under gpu_sim_ca).
  std::string gpu = "none";
  std::string gpu_nvml_library = "libnvidia-ml.so.1";
  std::filesystem::path gpu_sim_ca;
  unsigned gpu_count = 1;
  // What this node requires of workers' GPUs (proxies, clients).
  bool gpu_required = false;
  std::vector<std::string> gpu_trust{"nvidia"};  // "nvidia" (the pinned root), "dev:PATH" (a sim GPU CA)
  std::vector<std::string> gpu_chips, gpu_drivers;
  unsigned gpu_min_count = 1;
  std::filesystem::path gpu_crls;       // a directory of CRLs the operator refreshes (revocation)
  bool gpu_revocation_required = false;  // refuse GPU evidence those CRLs do not fully cover
  // Collateral (attest/quote/collateral_store.h): with a PCS or PCCS URL, every peer's quote is also
  // checked against its platform's TCB info, QE identity and CRLs, kept fresh from there.
  std::string collateral_url;           // empty: no collateral (tcb_status stays NotChecked)
  std::string collateral_root_crl_url;  // empty: the PCCS path under collateral_url
  int64_t collateral_refresh_s = 3600;  // fetched again at least this often (and before nextUpdate)
  std::filesystem::path collateral_ca;  // a PCCS's own CA (PEM), trusted beside the system's
  std::vector<std::string> accepted_tcb_statuses{"UpToDate", "SWHardeningNeeded"};
  // [registry]: when an endpoint is set, the allowed image and model hashes come from the root
  // contract on chain (the allowed_* lists above are then ignored).
  RegistrySettings registry;
};

// Reads [attestation]; every error names the file and key. Values are checked (hex lengths,
// provider names) but files are not opened yet.
AttestationSettings read_attestation_settings(const TomlReader& reader, const std::string& file);

// The policy these settings describe (opens the dev roots). Throws std::runtime_error.
Policy build_policy(const AttestationSettings& settings);

// Logs a WARNING for each permissive setting (a trusted dev root, allow_none, empty allow-lists
// for the peers `verifies_roles` this node checks; not when the lists come from the chain).
void warn_about_policy(const Policy& policy, const std::vector<std::string>& verifies_roles,
                       bool lists_from_chain = false);

}  // namespace chrysalis::attest
