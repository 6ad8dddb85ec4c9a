#include "attest/quote/quote_trust_anchors.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "attest/quote/intel_root_ca.h"
#include "attest/quote/quote_crypto.h"

namespace chrysalis::attest {

TrustAnchors TrustAnchors::intel() {
  static const std::shared_ptr<X509> root = share(load_der_certificate(intel_sgx_root_ca_der()));
  TrustAnchors anchors;
  anchors.add(root);
  return anchors;
}

TrustAnchors TrustAnchors::from_pem_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read trust anchor file " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  TrustAnchors anchors;
  try {
    anchors.add_pem(text.str());
  } catch (const std::exception& e) {
    throw std::runtime_error("trust anchor file " + path.string() + ": " + e.what());
  }
  return anchors;
}

void TrustAnchors::add(std::shared_ptr<X509> root) {
  if (root) roots_.push_back(std::move(root));
}

void TrustAnchors::add_pem(std::string_view pem) {
  for (auto& cert : load_pem_certificates(pem)) roots_.push_back(share(std::move(cert)));
}

bool TrustAnchors::includes_intel() const {
  const std::string intel(kIntelSgxRootCaSha256);
  for (const auto& r : roots_)
    if (certificate_sha256_hex(r.get()) == intel) return true;
  return false;
}

std::string TrustAnchors::describe() const {
  if (roots_.empty()) return "none";
  std::string out;
  const std::string intel(kIntelSgxRootCaSha256);
  for (const auto& r : roots_) {
    std::string fp = certificate_sha256_hex(r.get());
    if (!out.empty()) out += ",";
    out += fp == intel ? std::string("intel") : "root:" + fp.substr(0, 16);
  }
  return out;
}

std::string certificate_sha256_hex(X509* cert) { return to_hex(sha256(certificate_der(cert))); }

std::string root_key_id_hex(X509* cert) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  uint8_t buf[133];
  size_t len = 0;
  if (!key || !EVP_PKEY_get_octet_string_param(key, "encoded-pub-key", buf, sizeof buf, &len)) return {};
  return to_hex(sha384({buf, len}));
}

}  // namespace chrysalis::attest
