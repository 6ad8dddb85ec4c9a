#pragma once
// The part of a node's configuration that decides whom it trusts, in one canonical form. A node
// extends RTMR3 with SHA-384 of the "measured" part before its first quote (evidence_sim.cpp and
// rtmr_extend.cpp do this the same way) and reports the whole document in its claims, so a peer
// can both pin it (the image hash covers RTMR3) and name the field it refuses.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "attest/policy/policy.h"
#include "attest/policy/policy_config.h"
#include "attest/quote/quote_bytes.h"

namespace chrysalis::attest {

// A worker's engine as far as it decides where prompts go: the host of its URL. The port is left
// out on purpose (the host is what keeps prompts inside the TD; measuring ports would give every
// worker of one machine its own image hash). The model is bound by the claims' model hash, and
// the embedded engine's code is part of the image (a TD measures its root filesystem; the
// simulated TEE measures only the binary).
struct EngineMeasurement {
  std::string host;  // "127.0.0.1" for the embedded engine
};

struct MeasuredConfig {
  // Measured into RTMR3 (nlohmann's objects keep keys sorted, so dump() is canonical):
  //   role, protocol, trust (sorted labels), allow_none, max_cert_age_s, allowed_mrtd/rtmr,
  //   proxies and clients: lists: "registry" (then registry_endpoint) or "static" (then the
  //   lists of the peers this node hands prompts to: a proxy's worker images and models; a
  //   client's proxy images); proxies: model_names (the name -> model hash table they route on);
  //   workers: engine.
  // A worker's list of proxies is not measured: a proxy's image hash covers its worker list, so
  // measuring both would make each hash depend on the other; and a worker that trusts a wrong
  // proxy only takes prompts from it, it gives none away.
  nlohmann::json measured = nlohmann::json::object();
  // Reported in the claims and compared by peers, not measured: the root contract's address is
  // derived from its initial allow-lists, which hold the image hashes, so measuring it would be
  // circular. The genuine binary reports it inside quote-bound claims, which is as binding.
  std::string registry_root;

  std::string canonical() const;  // {"measured": ..., "registry_root": ...}, the claims' config
  Fixed<48> digest() const;       // SHA-384 of measured.dump(): the RTMR3 event
};

// What `settings` (with `policy` built from them) measure for a node of `role`. `engine` is
// required for workers.
MeasuredConfig measure_config(const std::string& role, const AttestationSettings& settings, const Policy& policy,
                              const EngineMeasurement* engine = nullptr);

// The same for a node whose allow-lists come from `policy` itself (no registry); a worker's engine
// defaults to the embedded one (loopback, the image's own script). For tests, tools and `local up`.
MeasuredConfig measure_config(const std::string& role, const Policy& policy, const EngineMeasurement* engine = nullptr);

// RTMR3 of a TD whose only runtime measurement is this config: SHA-384(48 zero bytes || digest).
Fixed<48> rtmr3_for(const Fixed<48>& config_digest);

// Parses a peer's claims config (bounded JSON); nullopt with `error` naming the problem.
std::optional<MeasuredConfig> parse_reported_config(const std::string& text, std::string& error);

struct ConfigRefusal {
  std::string check;  // "config.role", "config.allow_none", "config.trust", "config.registry_root"
  std::string detail;
};
// Why a peer of `claimed_role` reporting `peer` must be refused by a node with `policy`, if it must:
// a proxy that would admit peers without a quote when we don't, trusts a root we don't, or reads
// another registry than ours (whom a proxy admits decides who sees prompts; a worker's trust only
// decides whom it serves).
std::optional<ConfigRefusal> refuse_peer_config(const MeasuredConfig& peer, const std::string& claimed_role,
                                                const Policy& policy);

// Refuses to run a node whose quotes come from real TDX hardware with a configuration that would
// let it admit peers outside a TEE: allow_none or a trusted root other than Intel's. Throws
// std::runtime_error naming the key.
void refuse_unsafe_config_on_real_td(const AttestationSettings& settings);

}  // namespace chrysalis::attest
