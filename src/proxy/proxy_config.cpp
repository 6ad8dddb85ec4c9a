#include "proxy/proxy_config.h"

#include "common/toml_reader.h"

namespace chrysalis::proxy {

namespace {

// What the proxy lists in the root: the listen endpoints unless `proxy.advertise_*` names the
// address others reach it at (needed behind NAT or when listening on every address).
ListingSettings read_listing(const TomlReader& r, const ProxyConfig& c, const std::string& file) {
  ListingSettings l;
  l.enabled = r.boolean("proxy.list_in_root", c.billing.enabled);
  if (l.enabled && !c.billing.enabled)
    throw std::runtime_error(file + ": 'proxy.list_in_root' needs [billing]: the root lists a proxy through its "
                                    "staked proxy contract");
  auto advertised = [&](const std::string& key, const Endpoint& listen) {
    std::string text = r.string(key, "");
    if (!text.empty()) {
      auto e = parse_endpoint(text);
      if (e.port == 0) throw std::runtime_error(file + ": '" + key + "' needs a port");
      text = e.to_string();
      if (text.size() > 127) throw std::runtime_error(file + ": '" + key + "' is longer than 127 bytes");
      return text;
    }
    if (!l.enabled) return listen.to_string();
    if (listen.host.empty() || listen.host == "0.0.0.0" || listen.host == "::" || listen.port == 0)
      throw std::runtime_error(file + ": '" + key + "' must name the host:port others dial, since the proxy listens on " +
                               listen.to_string());
    return listen.to_string();
  };
  l.workers_endpoint = advertised("proxy.advertise_workers", c.worker_listen);
  l.clients_endpoint = advertised("proxy.advertise_clients", c.client_listen);
  return l;
}

}  // namespace

ProxyConfig load_proxy_config(const std::filesystem::path& file) {
  TomlReader r(file);
  ProxyConfig c;
  c.id = r.string("proxy.id", "proxy");
  c.http = parse_endpoint(r.string("proxy.http", "127.0.0.1:11000"));
  c.worker_listen = parse_endpoint(r.string("proxy.worker_listen", "127.0.0.1:11001"));
  c.client_listen = parse_endpoint(r.string("proxy.client_listen", "127.0.0.1:11002"));
  c.request_timeout_s = static_cast<uint32_t>(r.integer("proxy.request_timeout_s", 120, 1, 3600));
  c.max_retries = static_cast<uint32_t>(r.integer("proxy.max_retries", 2, 0, 10));
  c.resume.max_resumes = static_cast<uint32_t>(r.integer("proxy.max_resumes", 2, 0, 8));
  c.resume.keep_s = static_cast<uint32_t>(r.integer("proxy.resume_keep_s", 120, 1, 3600));
  c.resume.capacity = static_cast<std::size_t>(r.integer("proxy.resume_table", 4096, 16, 1 << 20));
  c.admission.max_per_model = static_cast<std::size_t>(r.integer("proxy.queue_per_model", 256, 0, 1'000'000));
  c.admission.max_per_client = static_cast<std::size_t>(r.integer("proxy.queue_per_client", 32, 1, 100'000));
  c.admission.max_wait_ms = static_cast<uint32_t>(r.integer("proxy.queue_wait_ms", 30'000, 0, 3'600'000));
  c.max_tokens_limit = static_cast<uint32_t>(r.integer("proxy.max_tokens_limit", 32768, 1, 1 << 20));
  c.max_request_bytes = static_cast<std::size_t>(r.integer("proxy.max_request_bytes", 8 << 20, 1024, 1 << 30));
  c.max_clients = static_cast<uint32_t>(r.integer("proxy.max_clients", 1024, 1, 1'000'000));
  c.max_streams_per_client = static_cast<uint32_t>(r.integer("proxy.max_streams_per_client", 64, 1, 100'000));
  c.client_frames_per_s = static_cast<uint32_t>(r.integer("proxy.client_frames_per_s", 20000, 0, 10'000'000));
  c.worker_frames_per_s = static_cast<uint32_t>(r.integer("proxy.worker_frames_per_s", 200000, 0, 10'000'000));
  c.max_queued_bytes = static_cast<std::size_t>(r.integer("proxy.max_queued_bytes", 64 << 20, 64 << 10, 1LL << 32));
  c.write_timeout_ms = static_cast<uint32_t>(r.integer("proxy.write_timeout_ms", 30000, 100, 600'000));
  c.cors_origins = r.strings("proxy.cors_origins", {});
  c.state_dir = r.path("tls.dir", "run/" + c.id);
  c.log_level = r.string("log.level", "info");
  c.attestation = attest::read_attestation_settings(r, file.string());
  c.routing = load_routing_config(r);
  c.billing = billing::read_billing_settings(r, file.string(), "proxy", !c.attestation.registry.endpoint.empty());
  c.listing = read_listing(r, c, file.string());
  r.refuse_unknown_keys();
  return c;
}

}  // namespace chrysalis::proxy
