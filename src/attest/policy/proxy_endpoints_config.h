#pragma once
// Reading a node's `proxies` list from its config (no asio: config readers stay light).
#include <string>
#include <vector>

#include "common/endpoint.h"

namespace chrysalis {
class TomlReader;
}

namespace chrysalis::attest {

// `key` (e.g. "client.proxies"): absent with a [registry] → empty (the root's list is used);
// absent without one → `fallback`; an explicitly empty list needs a [registry]. Throws naming file and key.
std::vector<Endpoint> read_proxy_endpoints(const TomlReader& r, const std::string& key, const std::string& fallback,
                                           bool has_registry, const std::string& file);

}  // namespace chrysalis::attest
