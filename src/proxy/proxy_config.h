#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "attest/policy/policy_config.h"
#include "billing/billing_settings.h"
#include "common/endpoint.h"
#include "proxy/admission_queue.h"
#include "proxy/listing_settings.h"
#include "proxy/resume_book.h"
#include "proxy/routing_config.h"

namespace chrysalis::proxy {

struct ProxyConfig {
  std::string id = "proxy";
  Endpoint http{"127.0.0.1", 11000};
  Endpoint worker_listen{"127.0.0.1", 11001};
  Endpoint client_listen{"127.0.0.1", 11002};
  uint32_t request_timeout_s = 120;
  uint32_t max_retries = 2;                 // other workers tried when one fails before its first token
  ResumeSettings resume;                    // answers whose worker failed, continued elsewhere
  AdmissionLimits admission;                // requests waiting for a busy model's next free slot
  uint32_t max_tokens_limit = 32768;        // a request asking more is refused
  std::size_t max_request_bytes = 8 << 20;  // a request body larger is refused (413)
  // Bounds on what peers may cost the proxy (all on /stats under "limits").
  uint32_t max_clients = 1024;              // connected client nodes; more are turned away
  uint32_t max_streams_per_client = 64;     // requests in flight on one client connection
  // Frames a client may send per second (burst: 2 s worth). A busy client node sends about two per
  // request (the request and its sealed body): 1000 cut off honest clients above ~500 requests/s.
  uint32_t client_frames_per_s = 20000;
  uint32_t worker_frames_per_s = 200000;    // a worker streams parts: above it, read more slowly
  std::size_t max_queued_bytes = 64 << 20;  // unsent bytes per connection before its peer is dropped
  uint32_t write_timeout_ms = 30000;        // a write stuck this long drops the peer
  std::vector<std::string> cors_origins;    // web origins whose pages may call the HTTP API (none: no page may)
  std::filesystem::path state_dir;
  std::string log_level = "info";
  attest::AttestationSettings attestation;  // [attestation]
  RoutingConfig routing;                    // [routing]
  billing::BillingSettings billing;         // [billing]
  ListingSettings listing;                  // proxy.list_in_root, proxy.advertise_workers/clients
};

ProxyConfig load_proxy_config(const std::filesystem::path& file);

}  // namespace chrysalis::proxy
