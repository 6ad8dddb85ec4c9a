#include "attest/policy/proxy_endpoints_config.h"

#include <stdexcept>

#include "common/toml_reader.h"

namespace chrysalis::attest {

std::vector<Endpoint> read_proxy_endpoints(const TomlReader& r, const std::string& key, const std::string& fallback,
                                           bool has_registry, const std::string& file) {
  std::vector<Endpoint> out;
  if (!r.has(key)) {
    if (!has_registry) out.push_back(parse_endpoint(fallback));
    return out;
  }
  for (auto& p : r.strings(key, {})) out.push_back(parse_endpoint(p));
  if (out.empty() && !has_registry)
    throw std::runtime_error(file + ": '" + key +
                             "' is empty and there is no [registry] to find proxies in: name a proxy or the root contract");
  return out;
}

}  // namespace chrysalis::attest
