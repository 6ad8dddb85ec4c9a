#include "client/client_config.h"

#include "attest/policy/proxy_endpoints_config.h"
#include "common/toml_reader.h"

namespace chrysalis::client {

ClientConfig load_client_config(const std::filesystem::path& file) {
  TomlReader r(file);
  return read_client_config(r, file.string());
}

ClientConfig read_client_config(const TomlReader& r, const std::string& file) {
  ClientConfig c;
  c.id = r.string("client.id", "client");
  c.http = parse_endpoint(r.string("client.http", "127.0.0.1:10000"));
  for (auto& k : r.strings("client.api_keys", {})) c.api_keys.insert(k);
  c.max_body_bytes = static_cast<std::size_t>(r.integer("client.max_body_bytes", 1 << 20, 1024, 1 << 30));
  c.default_max_tokens = static_cast<uint32_t>(r.integer("client.default_max_tokens", 1000, 1, 1 << 20));
  c.max_tokens_limit = static_cast<uint32_t>(r.integer("client.max_tokens_limit", 32768, 1, 1 << 24));
  c.request_timeout_s = static_cast<uint32_t>(r.integer("client.request_timeout_s", 120, 1, 3600));
  c.cors_origins = r.strings("client.cors_origins", {});
  std::string e2e = r.string("client.e2e", "required");
  auto mode = e2e::parse_mode(e2e);
  if (!mode) throw std::runtime_error(file + ": 'client.e2e' must be required, preferred or off, got '" + e2e + "'");
  c.e2e = *mode;
  c.max_resumes = static_cast<uint32_t>(r.integer("client.max_resumes", 2, 0, 8));
  c.receipts_kept = static_cast<uint32_t>(r.integer("client.receipts_kept", 256, 0, 100'000));
  c.affinity_prefix_chars = static_cast<uint32_t>(r.integer("client.affinity_prefix_chars", 0, 0, 1'000'000));
  c.state_dir = r.path("tls.dir", "run/" + c.id);
  c.log_level = r.string("log.level", "info");
  c.attestation = attest::read_attestation_settings(r, file);
  c.billing = billing::read_billing_settings(r, file, "client", !c.attestation.registry.endpoint.empty());
  c.proxies = attest::read_proxy_endpoints(r, "client.proxies", "127.0.0.1:11002",
                                           !c.attestation.registry.endpoint.empty(), file);
  c.max_proxies = static_cast<uint32_t>(r.integer("client.max_proxies", 4, 1, 64));
  r.refuse_unknown_keys();
  return c;
}

}  // namespace chrysalis::client
