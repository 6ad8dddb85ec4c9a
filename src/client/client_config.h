#pragma once
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "attest/policy/policy_config.h"
#include "billing/billing_settings.h"
#include "common/endpoint.h"
#include "e2e/e2e_mode.h"

namespace chrysalis {
class TomlReader;
}

namespace chrysalis::client {

struct ClientConfig {
  std::string id = "client";
  Endpoint http{"127.0.0.1", 10000};
  std::vector<Endpoint> proxies;  // empty: the proxies the root contract lists
  uint32_t max_proxies = 4;       // of those, how many the client keeps connections to
  std::set<std::string> api_keys;
  std::size_t max_body_bytes = 1 << 20;
  uint32_t default_max_tokens = 1000;
  uint32_t max_tokens_limit = 32768;
  uint32_t request_timeout_s = 120;
  uint32_t max_resumes = 2;  // continuations of an answer whose worker failed mid-way (0: none)
  std::vector<std::string> cors_origins;  // web origins whose pages may call the HTTP API (none: no page may)
  // End-to-end encryption to the worker (e2e/README.md): required refuses to send a prompt any
  // other way; preferred falls back to plaintext, logging why, when no worker can take it sealed.
  e2e::Mode e2e = e2e::Mode::required;
  uint32_t receipts_kept = 256;        // the last receipts GET /admin/receipts shows
  uint32_t affinity_prefix_chars = 0;  // e2e: prompt prefix hashed (salted) for the proxy's prefix affinity; 0 = off
  std::filesystem::path state_dir;
  std::string log_level = "info";
  attest::AttestationSettings attestation;  // [attestation]
  billing::BillingSettings billing;         // [billing]
};

ClientConfig load_client_config(const std::filesystem::path& file);
// The same from a reader already open; `file` names the config in errors.
ClientConfig read_client_config(const TomlReader& r, const std::string& file);

}  // namespace chrysalis::client
