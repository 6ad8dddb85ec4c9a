// libFuzzer target: configuration text (common/toml_reader.h) and the loaders that can read it from
// a string: the client's whole config (client/client_config.h, with its [attestation] and [billing]),
// the proxy's [routing], and [billing] as the proxy and the worker read it. A loader either returns
// or throws a std::exception; anything else escaping is a bug. The typed getters are also tried on
// every key the document holds, at every depth.
#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "billing/billing_settings.h"
#include "client/client_config.h"
#include "common/toml_reader.h"
#include "fuzz_support.h"
#include "proxy/routing_config.h"

using namespace chrysalis;

namespace {

void collect_paths(const toml::table& table, const std::string& prefix, int depth, std::vector<std::string>& out) {
  if (depth > 8) return;
  for (auto&& [key, node] : table) {
    std::string path = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    out.push_back(path);
    if (const auto* inner = node.as_table()) collect_paths(*inner, path, depth + 1, out);
  }
}

template <typename Get>
void try_get(Get get) {
  try {
    get();
  } catch (const std::runtime_error&) {
    // a wrong type or range, named in the message
  }
}

void read_every_key(const TomlReader& reader, std::string_view text) {
  toml::table table;
  try {
    table = toml::parse(text);
  } catch (const toml::parse_error&) {
    __builtin_trap();  // TomlReader parsed this very text
  }
  std::vector<std::string> paths;
  collect_paths(table, "", 0, paths);
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min(), kMax = std::numeric_limits<int64_t>::max();
  for (const auto& path : paths) {
    (void)reader.has(path);
    try_get([&] { (void)reader.string(path, ""); });
    try_get([&] { (void)reader.integer(path, 0, kMin, kMax); });
    try_get([&] { (void)reader.integer(path, 1, 1, 3600); });
    try_get([&] { (void)reader.number(path, 0); });
    try_get([&] { (void)reader.boolean(path, false); });
    try_get([&] { (void)reader.strings(path, {}); });
  }
}

template <typename Load>
void try_load(Load load) {
  try {
    load();
  } catch (const std::exception& e) {
    if (std::string(e.what()).empty()) __builtin_trap();  // a refusal names the problem
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  std::optional<TomlReader> reader;
  try {
    reader.emplace(TomlReader::from_string(text, "fuzz.toml"));
  } catch (const std::runtime_error&) {
    return 0;
  }
  read_every_key(*reader, text);
  try_load([&] {
    client::ClientConfig c = client::read_client_config(*reader, "fuzz.toml");
    // No proxies is only accepted with a [registry]: the root contract's list is used then.
    if ((c.proxies.empty() && c.attestation.registry.endpoint.empty()) || c.max_body_bytes < 1024 ||
        c.max_body_bytes > (1 << 30) || c.max_proxies < 1 || c.max_proxies > 64)
      __builtin_trap();
  });
  try_load([&] { (void)proxy::load_routing_config(*reader); });
  for (const char* role : {"proxy", "worker"})
    try_load([&] { (void)billing::read_billing_settings(*reader, "fuzz.toml", role, true); });
  return 0;
}
