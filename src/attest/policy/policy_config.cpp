#include "attest/policy/policy_config.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "attest/gpu/nvidia_roots.h"
#include "attest/gpu/nvml_gpu_provider.h"
#include "attest/gpu/sim_gpu.h"
#include "attest/quote/collateral.h"
#include "common/toml_reader.h"
#include "common/url.h"
#include "ton/cells/address.h"

namespace chrysalis::attest {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_hex(const std::string& s, size_t len) {
  return s.size() == len && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

std::vector<std::string> hex_list(const TomlReader& r, const std::string& file, const std::string& key, size_t len) {
  std::vector<std::string> out;
  for (auto& v : r.strings("attestation." + key, {})) {
    if (!is_hex(v, len))
      throw std::runtime_error(file + ": 'attestation." + key + "' entry \"" + v + "\" is not " + std::to_string(len) +
                               " hex characters");
    out.push_back(lower(v));
  }
  return out;
}

}  // namespace

AttestationSettings read_attestation_settings(const TomlReader& r, const std::string& file) {
  AttestationSettings s;
  s.provider = r.string("attestation.provider", "none");
  if (s.provider != "tdx" && s.provider != "sim" && s.provider != "none")
    throw std::runtime_error(file + ": 'attestation.provider' must be \"tdx\", \"sim\" or \"none\"");
  s.dev_ca = r.path("attestation.dev_ca", "");
  if (s.provider == "sim" && s.dev_ca.empty())
    throw std::runtime_error(file +
                             ": 'attestation.dev_ca' (a directory made by `chrysalis attest dev-ca`) is "
                             "required for provider \"sim\"");
  s.trust = r.strings("attestation.trust", {"intel"});
  for (auto& t : s.trust)
    if (t != "intel" && t.rfind("dev:", 0) != 0)
      throw std::runtime_error(file + ": 'attestation.trust' entry \"" + t +
                               "\" is neither \"intel\" nor \"dev:PATH\"");
  s.allow_none = r.boolean("attestation.allow_none", false);
  s.allowed_proxy_images = hex_list(r, file, "allowed_proxy_images", 64);
  s.allowed_worker_images = hex_list(r, file, "allowed_worker_images", 64);
  s.allowed_models = hex_list(r, file, "allowed_models", 64);
  s.allowed_mrtd = hex_list(r, file, "allowed_mrtd", 96);
  s.allowed_keybroker_images = hex_list(r, file, "allowed_keybroker_images", 64);
  s.key_broker = r.string("keys.broker", "");
  if (!s.key_broker.empty() && s.allowed_keybroker_images.empty())
    throw std::runtime_error(file +
                             ": 'keys.broker' needs 'attestation.allowed_keybroker_images': the broker's "
                             "image must be pinned, or a fake broker could hand out a key it knows");
  s.pinned_client_keys = hex_list(r, file, "pinned_client_keys", 64);
  for (auto& [name, hash] : r.string_table("attestation.models")) {
    if (name.empty() || name.size() > 256)
      throw std::runtime_error(file + ": 'attestation.models' names must be 1 to 256 characters");
    if (!is_hex(hash, 64))
      throw std::runtime_error(file + ": 'attestation.models' entry \"" + name + "\" = \"" + hash +
                               "\" is not a SHA-256 (64 hex characters)");
    s.model_names[name] = lower(hash);
  }
  s.recheck_s = r.integer("attestation.recheck_s", 60, 1, 86400);
  s.collateral_url = r.string("attestation.collateral_url", "");
  s.collateral_root_crl_url = r.string("attestation.collateral_root_crl_url", "");
  s.collateral_refresh_s = r.integer("attestation.collateral_refresh_s", 3600, 1, 7 * 86400);
  s.collateral_ca = r.path("attestation.collateral_ca", "");
  s.accepted_tcb_statuses = r.strings("attestation.accepted_tcb_statuses", {"UpToDate", "SWHardeningNeeded"});
  for (const auto& status : s.accepted_tcb_statuses)
    if (!is_known_tcb_status(status))
      throw std::runtime_error(file + ": 'attestation.accepted_tcb_statuses' entry \"" + status +
                               "\" is not a TCB status Intel uses (UpToDate, SWHardeningNeeded, ConfigurationNeeded, "
                               "ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded)");
  for (const auto& url : {s.collateral_url, s.collateral_root_crl_url})
    if (!url.empty() && !parse_url(url))
      throw std::runtime_error(file + ": collateral URL \"" + url + "\" is not an http:// or https:// URL");
  for (auto& set : r.strings("attestation.allowed_rtmr", {})) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t colon; (colon = set.find(':', start)) != std::string::npos; start = colon + 1)
      parts.push_back(set.substr(start, colon - start));
    parts.push_back(set.substr(start));
    if (parts.size() != 4 || !std::all_of(parts.begin(), parts.end(), [](auto& p) { return is_hex(p, 96); }))
      throw std::runtime_error(file +
                               ": 'attestation.allowed_rtmr' entries are \"rtmr0:rtmr1:rtmr2:rtmr3\", 96 hex each");
    s.allowed_rtmr.push_back(lower(set));
  }
  s.gpu = r.string("attestation.gpu", "none");
  if (s.gpu != "none" && s.gpu != "sim" && s.gpu != "nvml")
    throw std::runtime_error(file + ": 'attestation.gpu' must be \"none\", \"nvml\" or \"sim\"");
  s.gpu_nvml_library = r.string("attestation.gpu_nvml_library", gpu::kDefaultNvmlLibrary);
  if (s.gpu_nvml_library.empty())
    throw std::runtime_error(file + ": 'attestation.gpu_nvml_library' must name NVIDIA's library");
  s.gpu_sim_ca = r.path("attestation.gpu_sim_ca", "");
  if (s.gpu == "sim" && s.gpu_sim_ca.empty())
    throw std::runtime_error(file + ": 'attestation.gpu_sim_ca' (made by `chrysalis attest gpu sim-ca`) is required "
                                    "with gpu = \"sim\"");
  s.gpu_count = static_cast<unsigned>(r.integer("attestation.gpu_count", 1, 1, 16));
  s.gpu_required = r.boolean("attestation.gpu_required", false);
  s.gpu_trust = r.strings("attestation.gpu_trust", {"nvidia"});
  for (auto& t : s.gpu_trust)
    if (t != "nvidia" && t.rfind("dev:", 0) != 0)
      throw std::runtime_error(file + ": 'attestation.gpu_trust' entry \"" + t + "\" is neither \"nvidia\" nor \"dev:PATH\"");
  s.gpu_chips = r.strings("attestation.gpu_chips", {});
  s.gpu_drivers = r.strings("attestation.gpu_drivers", {});
  s.gpu_min_count = static_cast<unsigned>(r.integer("attestation.gpu_min_count", 1, 1, 16));
  s.gpu_crls = r.path("attestation.gpu_crls", "");
  s.gpu_revocation_required = r.boolean("attestation.gpu_revocation_required", false);
  if (s.gpu_revocation_required && s.gpu_crls.empty())
    throw std::runtime_error(file + ": 'attestation.gpu_revocation_required' needs 'attestation.gpu_crls' (a directory "
                                    "of CRLs, see `chrysalis attest gpu crl-urls`)");
  s.max_cert_age_hours = r.integer("attestation.max_cert_age_hours", 24, 1, 24 * 366);
  s.cert_hours = r.integer("attestation.cert_hours", 6, 1, 24 * 30);
  s.pow_difficulty = static_cast<int>(r.integer("attestation.pow_difficulty", 18, 0, 32));
  s.expect_pow = r.boolean("attestation.expect_pow", true);
  s.pow_max_difficulty = static_cast<int>(r.integer("attestation.pow_max_difficulty", 24, 0, 64));
  s.registry.endpoint = r.string("registry.endpoint", "");
  s.registry.root = r.string("registry.root", "");
  s.registry.api_key = r.string("registry.api_key", "");
  s.registry.refresh_s = r.integer("registry.refresh_s", 30, 1, 86400);
  s.registry.max_age_s = r.integer("registry.max_age_s", 300, 1, 7 * 86400);
  if (!s.registry.endpoint.empty()) {
    if (s.registry.root.empty())
      throw std::runtime_error(file +
                               ": 'registry.root' (the root contract's address) is required with 'registry.endpoint'");
    try {
      ton::Address::parse(s.registry.root);
    } catch (const std::exception& e) {
      throw std::runtime_error(file + ": 'registry.root' is not a TON address: " + e.what());
    }
    if (s.registry.max_age_s < s.registry.refresh_s)
      throw std::runtime_error(file + ": 'registry.max_age_s' must be at least 'registry.refresh_s'");
  }
  return s;
}

Policy build_policy(const AttestationSettings& s) {
  Policy p;
  apply_trust_entries(p, s.trust);
  p.allow_none = s.allow_none;
  p.allowed_proxy_images = {s.allowed_proxy_images.begin(), s.allowed_proxy_images.end()};
  p.allowed_worker_images = {s.allowed_worker_images.begin(), s.allowed_worker_images.end()};
  p.allowed_models = {s.allowed_models.begin(), s.allowed_models.end()};
  p.allowed_mrtd = {s.allowed_mrtd.begin(), s.allowed_mrtd.end()};
  p.allowed_keybroker_images = {s.allowed_keybroker_images.begin(), s.allowed_keybroker_images.end()};
  for (auto& set : s.allowed_rtmr)
    p.allowed_rtmr.push_back({set.substr(0, 96), set.substr(97, 96), set.substr(194, 96), set.substr(291, 96)});
  p.max_cert_age_s = s.max_cert_age_hours * 3600;
  p.pinned_client_keys = {s.pinned_client_keys.begin(), s.pinned_client_keys.end()};
  if (!s.registry.endpoint.empty()) p.registry_root = ton::Address::parse(s.registry.root).to_raw();
  p.gpu.required = s.gpu_required;
  p.gpu.trust.device = TrustAnchors::none();
  for (const auto& t : s.gpu_trust) {
    if (t == "nvidia") {
      p.gpu.trust.device.add_pem(gpu::kNvidiaDeviceRootPem);
      p.gpu.trust_labels.push_back("nvidia");
      continue;
    }
    std::filesystem::path path = t.substr(4);
    if (std::filesystem::is_directory(path)) path /= gpu::kSimGpuRootCertFile;
    auto root = TrustAnchors::from_pem_file(path);
    for (const auto& cert : root.roots()) {
      p.gpu.trust.device.add(cert);
      p.gpu.trust_labels.push_back("dev:" + certificate_sha256_hex(cert.get()).substr(0, 16));
    }
  }
  p.gpu.chips = {s.gpu_chips.begin(), s.gpu_chips.end()};
  p.gpu.drivers = {s.gpu_drivers.begin(), s.gpu_drivers.end()};
  p.gpu.min_count = s.gpu_min_count;
  if (!s.gpu_crls.empty()) p.gpu.crls = std::make_shared<gpu::CrlCache>(s.gpu_crls);
  p.gpu.revocation_required = s.gpu_revocation_required;
  return p;
}

void warn_about_policy(const Policy& p, const std::vector<std::string>& verifies_roles, bool lists_from_chain) {
  for (auto& label : p.trust_labels)
    if (label.rfind("dev:", 0) == 0)
      spdlog::warn(
          "attestation: trusting DEVELOPMENT root {} — simulated quotes are accepted; never use this in "
          "production",
          label.substr(4));
  for (auto& label : p.gpu.trust_labels)
    if (label.rfind("dev:", 0) == 0)
      spdlog::warn("attestation: trusting a SIMULATED GPU root {} — simulated GPU evidence is accepted; never use this "
                   "in production",
                   label.substr(4));
  if (p.allow_none) spdlog::warn("attestation: allow_none = true — peers WITHOUT any quote are accepted (tests only)");
  if (lists_from_chain) return;
  for (auto& role : verifies_roles) {
    if (allowed_images_for(p, role).empty())
      spdlog::warn("attestation: allowed_{}_images is empty — any {} image is accepted", role, role);
    if (role == "worker" && p.allowed_models.empty())
      spdlog::warn("attestation: allowed_models is empty — workers may serve any model");
  }
}

}  // namespace chrysalis::attest
