#pragma once
// Where a node reads the network's registry (the root contract): the [registry] config section.
#include <cstdint>
#include <string>

namespace chrysalis::attest {

struct RegistrySettings {
  std::string endpoint;  // toncenter v2 API of the network (devnet or public)
  std::string root;      // root contract address, any text form
  std::string api_key;
  int64_t refresh_s = 30;
  int64_t max_age_s = 300;  // older than this (or never read): refuse to serve
};

}  // namespace chrysalis::attest
