#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "attest/policy/policy_config.h"
#include "billing/billing_settings.h"
#include "common/endpoint.h"

namespace chrysalis::worker {

struct WorkerConfig {
  std::string id;
  std::string model;
  uint32_t coefficient = 1000;
  uint32_t max_concurrent = 8;
  std::vector<Endpoint> proxies;  // empty: the proxies the root contract lists
  uint32_t max_proxies = 16;      // of those, how many the worker serves
  Endpoint http{"127.0.0.1", 12000};
  uint32_t request_timeout_s = 120;
  uint32_t max_tokens_limit = 32768;        // a request asking more is refused
  std::size_t max_request_bytes = 8 << 20;  // a larger request body is refused
  std::string log_level = "info";
  attest::AttestationSettings attestation;  // [attestation]
  billing::BillingSettings billing;         // [billing]
  std::vector<std::string> cors_origins;    // web origins whose pages may call the HTTP API (none: no page may)
  std::filesystem::path state_dir;

  std::string engine_kind = "embedded";  // embedded | external
  std::string engine_url;                // external engine base URL (loopback only)
  std::string engine_model_sha256;       // external: the model file's SHA-256, attested as the model hash
  std::string engine_model_name;         // name the engine knows the model by (default: model)
  bool engine_embeddings = true;         // the engine answers /v1/embeddings (external: only when set)
  std::filesystem::path engine_model;    // embedded: GGUF
  std::string engine_script;             // embedded: override for engine/server.mjs
  uint16_t engine_port = 12100;
  int engine_threads = 2;
  int engine_context = 2048;
  // Kept-alive connections to the engine: at most this many idle (0: a new connection per request).
  uint32_t engine_max_idle_connections = 32;
  uint32_t engine_idle_ms = 2000;  // an idle one older than this is closed, not reused
  int engine_pace_ms = 0;          // embedded: the least time between tokens (emulates a slower accelerator)
  uint32_t health_interval_ms = 2000;
};

// Throws std::runtime_error naming the file and key on any invalid value.
WorkerConfig load_worker_config(const std::filesystem::path& file);

}  // namespace chrysalis::worker
