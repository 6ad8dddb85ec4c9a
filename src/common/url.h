#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace chrysalis {

// An http:// or https:// address split into the parts a client needs to dial and to build request targets.
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6 literals
  uint16_t port = 0;   // explicit or the scheme's default
  std::string path;    // "" or a prefix such as "/prefix" (never ends with '/')
  std::string query;   // text after '?', without it; may be empty

  // "host:port" (IPv6 in brackets): what error messages and the Host header show.
  std::string authority() const;
  // Request target for `target` under this URL's path prefix: "/prefix" + "/v1/models".
  // An empty target gives the URL's own path (or "/") with its query.
  std::string target_for(std::string_view target) const;
};

// Parses "http[s]://host[:port][/path][?query]". Returns nullopt and sets *error (when given) for
// anything else. (An engine URL must also be plain http on loopback: worker_config.cpp says so.)
std::optional<Url> parse_url(std::string_view text, std::string* error = nullptr);

// "%41+b" -> "A b" when plus_is_space (query strings); invalid escapes are kept verbatim.
std::string percent_decode(std::string_view text, bool plus_is_space);

// "a=1&b=x%20y&flag" -> {a:"1", b:"x y", flag:""}; the last of repeated keys wins.
std::map<std::string, std::string> parse_query(std::string_view query);

}  // namespace chrysalis
