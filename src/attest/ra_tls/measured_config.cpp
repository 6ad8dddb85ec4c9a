#include "attest/ra_tls/measured_config.h"

#include <algorithm>
#include <stdexcept>

#include "attest/quote/quote_crypto.h"
#include "common/json_bounded.h"
#include "ton/cells/address.h"

namespace chrysalis::attest {
namespace {

nlohmann::json sorted(const std::set<std::string>& values) { return nlohmann::json(values); }

nlohmann::json sorted(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  return values;
}

Fixed<48> sha384_of(const std::string& text) {
  return sha384(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

}  // namespace

std::string MeasuredConfig::canonical() const {
  return nlohmann::json{{"measured", measured}, {"registry_root", registry_root}}.dump();
}

Fixed<48> MeasuredConfig::digest() const { return sha384_of(measured.dump()); }

MeasuredConfig measure_config(const std::string& role, const AttestationSettings& settings, const Policy& policy,
                              const EngineMeasurement* engine) {
  MeasuredConfig c;
  auto& m = c.measured;
  m["role"] = role;
  m["protocol"] = 1;
  m["trust"] = sorted(policy.trust_labels);
  m["allow_none"] = policy.allow_none;
  m["max_cert_age_s"] = policy.max_cert_age_s;
  if (!policy.allowed_mrtd.empty()) m["allowed_mrtd"] = sorted(policy.allowed_mrtd);
  if (!policy.allowed_rtmr.empty()) {
    std::vector<std::string> sets;
    for (auto& s : policy.allowed_rtmr) sets.push_back(s[0] + ":" + s[1] + ":" + s[2] + ":" + s[3]);
    m["allowed_rtmr"] = sorted(sets);
  }
  const bool registry = !settings.registry.endpoint.empty();
  if (registry && !settings.registry.root.empty())
    c.registry_root = ton::Address::parse(settings.registry.root).to_raw();
  if (role == "worker") {
    // Nothing about its peer lists (see measured_config.h).
  } else if (registry) {
    m["lists"] = "registry";
    m["registry_endpoint"] = settings.registry.endpoint;
  } else {
    m["lists"] = "static";
    if (role == "proxy") {
      m["worker_images"] = sorted(policy.allowed_worker_images);
      m["models"] = sorted(policy.allowed_models);
    } else if (role == "client") {
      m["proxy_images"] = sorted(policy.allowed_proxy_images);
    }
  }
  // Which model a worker must be attested for, per name it announces: a proxy routes on it.
  if (role == "proxy" && !settings.model_names.empty()) m["model_names"] = settings.model_names;
  // Which brokers may seal this node's key: a fake one would hand out a key it knows.
  if (!policy.allowed_keybroker_images.empty()) m["keybroker_images"] = sorted(policy.allowed_keybroker_images);
  // Which platforms' TCB it accepts, when it checks collateral: a host could not quietly relax it.
  if (!settings.collateral_url.empty()) m["tcb_statuses"] = sorted(settings.accepted_tcb_statuses);
  if (role == "worker") {
    if (!engine) throw std::logic_error("measure_config: a worker's measurement needs its engine");
    m["engine"] = {{"host", engine->host}};
  }
  return c;
}

MeasuredConfig measure_config(const std::string& role, const Policy& policy, const EngineMeasurement* engine) {
  static const EngineMeasurement embedded{"127.0.0.1"};
  return measure_config(role, AttestationSettings{}, policy, engine ? engine : &embedded);
}

Fixed<48> rtmr3_for(const Fixed<48>& config_digest) {
  Bytes joined(48, 0);
  joined.insert(joined.end(), config_digest.begin(), config_digest.end());
  return sha384(joined);
}

std::optional<MeasuredConfig> parse_reported_config(const std::string& text, std::string& error) {
  auto parsed = parse_json_bounded(text, {.max_bytes = 32768, .max_depth = 8});
  if (!parsed.ok()) {
    error = "config " + parsed.error;
    return std::nullopt;
  }
  const auto& j = parsed.value;
  if (!j.is_object() || !j.contains("measured") || !j["measured"].is_object() || !j.contains("registry_root") ||
      !j["registry_root"].is_string() || j.size() != 2) {
    error = "config is not {\"measured\": {...}, \"registry_root\": \"...\"}";
    return std::nullopt;
  }
  MeasuredConfig c;
  c.measured = j["measured"];
  c.registry_root = j["registry_root"].get<std::string>();
  if (c.canonical() != text) {
    error = "config is not in canonical form";
    return std::nullopt;
  }
  return c;
}

std::optional<ConfigRefusal> refuse_peer_config(const MeasuredConfig& peer, const std::string& claimed_role,
                                                const Policy& policy) {
  const auto& m = peer.measured;
  try {
    if (m.at("role").get<std::string>() != claimed_role)
      return ConfigRefusal{"config.role", "the configuration is a " + m.at("role").get<std::string>() +
                                              "'s, the claims say " + claimed_role};
    // Whom a proxy admits decides who sees prompts; a worker's or a broker's trust only decides
    // whom it serves, which is its own operator's risk.
    if (claimed_role != "proxy") return std::nullopt;
    if (m.at("allow_none").get<bool>() && !policy.allow_none)
      return ConfigRefusal{"config.allow_none", "the peer admits peers without a quote (allow_none = true)"};
    for (auto& label : m.at("trust")) {
      auto text = label.get<std::string>();
      if (std::find(policy.trust_labels.begin(), policy.trust_labels.end(), text) == policy.trust_labels.end())
        return ConfigRefusal{"config.trust", "the peer trusts root \"" + text + "\", which this node does not"};
    }
    // A proxy must read the registry we read.
    if (!policy.registry_root.empty()) {
      if (peer.registry_root.empty())
        return ConfigRefusal{"config.registry_root",
                             "the peer takes its allow-lists from its own configuration, "
                             "not from the root contract " +
                                 policy.registry_root};
      if (peer.registry_root != policy.registry_root)
        return ConfigRefusal{"config.registry_root",
                             "the peer reads root " + peer.registry_root + ", this node " + policy.registry_root};
    }
  } catch (const nlohmann::json::exception& e) {
    return ConfigRefusal{"config", std::string("the configuration lacks a field or has a wrong type: ") + e.what()};
  }
  return std::nullopt;
}

void refuse_unsafe_config_on_real_td(const AttestationSettings& settings) {
  if (settings.provider != "tdx") return;
  if (settings.allow_none)
    throw std::runtime_error(
        "'attestation.allow_none' cannot be true with provider \"tdx\": a node in a real TD never admits peers "
        "without a quote");
  for (auto& entry : settings.trust)
    if (entry != "intel")
      throw std::runtime_error("'attestation.trust' entry \"" + entry +
                               "\" is not allowed with provider \"tdx\": a node in a real TD trusts only Intel's root");
}

}  // namespace chrysalis::attest
