#pragma once
#include <filesystem>
#include <string>

#include "attest/policy/policy_config.h"
#include "billing/billing_settings.h"
#include "common/endpoint.h"
#include "proxy/routing_config.h"

namespace chrysalis::proxy {

struct ProxyConfig {
  std::string id = "proxy";
  Endpoint http{"127.0.0.1", 11000};
  Endpoint worker_listen{"127.0.0.1", 11001};
  Endpoint client_listen{"127.0.0.1", 11002};
  uint32_t request_timeout_s = 120;
  uint32_t max_retries = 2;  // other workers tried when one fails before its first token
  std::filesystem::path state_dir;
  std::string log_level = "info";
  attest::AttestationSettings attestation;  // [attestation]
  RoutingConfig routing;                    // [routing]
  billing::BillingSettings billing;         // [billing]
};

ProxyConfig load_proxy_config(const std::filesystem::path& file);

}  // namespace chrysalis::proxy
