#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include "attest/policy/policy_config.h"
#include "common/endpoint.h"

namespace chrysalis::keybroker {

// keybroker.toml: [keybroker] id, listen (RA-TLS, where nodes fetch their sealing key), http
// (/healthz, /stats), max_handshakes, handshake_timeout_ms; [attestation] as every node (what the
// broker presents and which roots it trusts); [tls] dir; [log] level.
struct KeyBrokerConfig {
  std::string id = "keybroker";
  Endpoint listen{"127.0.0.1", 11090};
  Endpoint http{"127.0.0.1", 11091};
  uint32_t max_handshakes = 64;  // concurrent; more connections are closed at once
  uint32_t handshake_timeout_ms = 10000;
  attest::AttestationSettings attestation;
  std::filesystem::path state_dir;
  std::string log_level = "info";
};

KeyBrokerConfig load_keybroker_config(const std::filesystem::path& file);

}  // namespace chrysalis::keybroker
