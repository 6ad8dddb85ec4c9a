#pragma once
#include <cstdint>
#include <string>

namespace chrysalis {

struct Endpoint {
  std::string host;
  uint16_t port = 0;
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

// Parses "host:port" or "[v6]:port"; throws std::invalid_argument naming the bad text.
Endpoint parse_endpoint(const std::string& text);

}  // namespace chrysalis
