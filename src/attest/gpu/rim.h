#pragma once
// NVIDIA reference integrity manifests (RIMs): SWID-tag XML documents that list, per measurement
// index, whether it is checked and the values it may take, signed with an enveloped XML-DSig
// (ECDSA P-384, C14N 1.1, one Reference URI="" over the whole document). The signature is checked
// with libxmlsec1 (OpenSSL), only with keys from X.509 certificates that chain to a pinned root at
// the verification time; nothing is fetched.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/quote/quote_bytes.h"
#include "attest/quote/quote_trust_anchors.h"

namespace chrysalis::attest::gpu {

struct RimResource {
  unsigned index = 0;  // 0-based: RIM index i is the report's measurement block i + 1
  bool active = false;
  std::vector<Bytes> alternatives;  // any one of them matches
};

struct Rim {
  std::string version;  // Meta/@colloquialVersion: the driver or VBIOS version
  std::string product;  // Meta/@product, e.g. GH100
  std::string signer;   // the signing certificate's subject CN
  std::vector<RimResource> resources;
  const RimResource* find(unsigned index) const;
};

enum class RimError { none, malformed, signature, untrusted, expired };

struct RimCheck {
  RimError error = RimError::none;
  std::string text;  // what failed, for people
  std::optional<Rim> rim;
  bool ok() const { return error == RimError::none; }
};

// At most this many bytes: the real ones are about 20 KB.
inline constexpr std::size_t kMaxRimBytes = 1 << 20;

RimCheck verify_rim(std::string_view xml, const TrustAnchors& roots, std::chrono::system_clock::time_point at);

// Meta/@colloquialVersion read without checking anything: only to pick which manifest to verify.
std::optional<std::string> rim_version_unverified(std::string_view xml);

}  // namespace chrysalis::attest::gpu
