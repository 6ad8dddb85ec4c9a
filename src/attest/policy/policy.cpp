#include "attest/policy/policy.h"

#include "attest/quote/dev_ca.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace chrysalis::attest {

void apply_trust_entries(Policy& policy, const std::vector<std::string>& entries) {
  for (const auto& entry : entries) {
    if (entry == "intel") {
      const TrustAnchors intel = TrustAnchors::intel();  // named: a temporary would die before the loop body
      for (auto& root : intel.roots()) policy.anchors.add(root);
      policy.trust_labels.push_back("intel");
    } else if (entry.rfind("dev:", 0) == 0) {
      std::filesystem::path path = entry.substr(4);
      if (std::filesystem::is_directory(path)) path /= kDevRootCertFile;
      if (!std::filesystem::exists(path))
        throw std::runtime_error("trust entry \"" + entry + "\": " + path.string() + " does not exist");
      TrustAnchors dev = TrustAnchors::from_pem_file(path);
      for (auto& root : dev.roots()) {
        policy.anchors.add(root);
        policy.trust_labels.push_back("dev:" + certificate_sha256_hex(root.get()));
      }
    } else {
      throw std::runtime_error("trust entry \"" + entry + "\" is neither \"intel\" nor \"dev:PATH\"");
    }
  }
  std::sort(policy.trust_labels.begin(), policy.trust_labels.end());
  policy.trust_labels.erase(std::unique(policy.trust_labels.begin(), policy.trust_labels.end()),
                            policy.trust_labels.end());
}

const std::set<std::string>& allowed_images_for(const Policy& policy, const std::string& role) {
  if (role == "keybroker") return policy.allowed_keybroker_images;
  return role == "proxy" ? policy.allowed_proxy_images : policy.allowed_worker_images;
}

}  // namespace chrysalis::attest
