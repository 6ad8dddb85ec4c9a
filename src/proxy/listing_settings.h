#pragma once
#include <string>

namespace chrysalis::proxy {

// What the proxy lists in the root contract (proxy_listing.h).
struct ListingSettings {
  bool enabled = false;
  std::string workers_endpoint;  // "host:port" workers dial
  std::string clients_endpoint;  // "host:port" clients dial
};

}  // namespace chrysalis::proxy
