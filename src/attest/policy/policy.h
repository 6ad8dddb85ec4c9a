#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "attest/gpu/gpu_binding.h"
#include "attest/quote/quote_trust_anchors.h"

namespace chrysalis::attest {

// What a node accepts from its peers. Every allow-list holds lowercase hex; an empty list
// accepts any value (and the node warns about it at startup).
struct Policy {
  TrustAnchors anchors = TrustAnchors::none();  // roots a quote's PCK chain may end at
  std::vector<std::string> trust_labels;        // "intel", "dev:<root sha256>": for logs and measurement
  bool allow_none = false;                      // accept peers without a quote (unit tests only)
  // Registry mode: an empty allow-list admits nobody (fail closed). Local lists stay permissive
  // when empty, for development, with a warning at start.
  bool empty_lists_refuse = false;
  std::set<std::string> allowed_proxy_images;  // SHA-256 image hashes (tdx-quotes.md rule)
  std::set<std::string> allowed_worker_images;
  std::set<std::string> allowed_models;                  // worker model hashes (SHA-256)
  std::set<std::string> allowed_keybroker_images;        // key brokers this node takes a sealing key from
  std::set<std::string> allowed_mrtd;                    // 96 hex
  std::vector<std::array<std::string, 4>> allowed_rtmr;  // exact RTMR0..3 sets
  int64_t max_cert_age_s = 24 * 3600;                    // since the claims' creation time
  std::set<std::string> pinned_client_keys;  // proxy: raw Ed25519 keys (hex) of allowed clients; empty = any
  std::string unavailable;                   // non-empty: refuse every peer (e.g. the registry is stale)
  std::string registry_root;  // raw address of the root contract in registry mode: peers must report the same
  gpu::GpuPolicy gpu;         // what a worker's GPU evidence must show (attest/gpu/gpu_binding.h)
};

// Where a node's policy comes from. Configuration now; the root contract on chain later
// (an implementation that refreshes in the background and returns the newest snapshot).
class PolicySource {
 public:
  virtual ~PolicySource() = default;
  virtual std::shared_ptr<const Policy> current() const = 0;
};

class StaticPolicySource : public PolicySource {
 public:
  explicit StaticPolicySource(Policy policy) : policy_(std::make_shared<const Policy>(std::move(policy))) {}
  std::shared_ptr<const Policy> current() const override { return policy_; }

 private:
  std::shared_ptr<const Policy> policy_;
};

// Builds the anchors of a policy from trust entries: "intel" (the pinned Intel SGX Root CA) or
// "dev:PATH" (a development root: a PEM file, or a dev CA directory holding dev_root_ca.pem). Fills
// anchors and trust_labels; throws std::runtime_error naming a bad entry.
void apply_trust_entries(Policy& policy, const std::vector<std::string>& entries);

// The image-hash allow-list for peers of `role` ("proxy" | "worker" | "keybroker").
const std::set<std::string>& allowed_images_for(const Policy& policy, const std::string& role);

}  // namespace chrysalis::attest
