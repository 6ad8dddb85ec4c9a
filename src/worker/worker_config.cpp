#include "worker/worker_config.h"

#include <unistd.h>

#include <boost/asio/ip/address.hpp>

#include <algorithm>

#include "attest/policy/proxy_endpoints_config.h"
#include "common/toml_reader.h"
#include "common/url.h"

namespace chrysalis::worker {

namespace {

bool is_sha256_hex(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// Literal loopback addresses only: a name could resolve anywhere.
bool is_loopback_host(const std::string& host) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

}  // namespace

WorkerConfig load_worker_config(const std::filesystem::path& file) {
  TomlReader r(file);
  WorkerConfig c;
  char host[256] = "worker";
  gethostname(host, sizeof host - 1);
  c.id = r.string("worker.id", std::string(host) + "-worker");
  c.model = r.string("worker.model", "");
  c.coefficient = static_cast<uint32_t>(r.integer("worker.coefficient", 1000, 0, 999'999'999));
  c.max_concurrent = static_cast<uint32_t>(r.integer("worker.max_concurrent", 8, 1, 100000));
  c.http = parse_endpoint(r.string("worker.http", "127.0.0.1:12000"));
  c.request_timeout_s = static_cast<uint32_t>(r.integer("worker.request_timeout_s", 120, 1, 3600));
  c.max_tokens_limit = static_cast<uint32_t>(r.integer("worker.max_tokens_limit", 32768, 1, 1 << 20));
  c.max_request_bytes = static_cast<std::size_t>(r.integer("worker.max_request_bytes", 8 << 20, 1024, 1 << 30));
  c.log_level = r.string("log.level", "info");
  c.cors_origins = r.strings("worker.cors_origins", {});
  c.state_dir = r.path("tls.dir", "run/" + c.id);

  c.engine_kind = r.string("engine.kind", "embedded");
  if (c.engine_kind != "embedded" && c.engine_kind != "external")
    throw std::runtime_error(file.string() + ": 'engine.kind' must be \"embedded\" or \"external\"");
  c.engine_port = static_cast<uint16_t>(r.integer("engine.port", 12100, 1, 65535));
  c.engine_threads = static_cast<int>(r.integer("engine.threads", 2, 1, 256));
  c.engine_context = static_cast<int>(r.integer("engine.context", 2048, 128, 1 << 20));
  c.engine_pace_ms = static_cast<int>(r.integer("engine.pace_ms", 0, 0, 10000));
  c.engine_script = r.string("engine.script", "");
  c.engine_max_idle_connections = static_cast<uint32_t>(r.integer("engine.max_idle_connections", 32, 0, 4096));
  c.engine_idle_ms = static_cast<uint32_t>(r.integer("engine.idle_ms", 2000, 1, 600000));
  c.health_interval_ms = static_cast<uint32_t>(r.integer("engine.health_interval_ms", 2000, 100, 600000));
  if (c.engine_kind == "embedded") {
    c.engine_model = r.path("engine.model", "");
    if (c.engine_model.empty())
      throw std::runtime_error(file.string() + ": 'engine.model' (a GGUF file) is required for the embedded engine");
    c.engine_url = "http://127.0.0.1:" + std::to_string(c.engine_port);
    if (c.model.empty()) c.model = c.engine_model.stem().string();
  } else {
    c.engine_url = r.string("engine.url", "");
    if (c.engine_url.empty())
      throw std::runtime_error(file.string() + ": 'engine.url' is required for an external engine");
    if (c.model.empty())
      throw std::runtime_error(file.string() + ": 'worker.model' is required for an external engine");
    // The worker cannot hash weights it does not load: the operator states them, and the
    // statement is what the certificate binds and what the proxy routes by.
    c.engine_model_sha256 = r.string("engine.model_sha256", "");
    if (!is_sha256_hex(c.engine_model_sha256))
      throw std::runtime_error(file.string() +
                               ": 'engine.model_sha256' (SHA-256 of the served model file, 64 hex) is required for "
                               "an external engine");
    for (auto& ch : c.engine_model_sha256) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  while (!c.engine_url.empty() && c.engine_url.back() == '/') c.engine_url.pop_back();
  std::string url_error;
  auto url = parse_url(c.engine_url, &url_error);
  if (!url) throw std::runtime_error(file.string() + ": 'engine.url' is invalid: " + url_error);
  if (url->scheme != "http")
    throw std::runtime_error(file.string() +
                             ": 'engine.url' must be http:// (the engine runs beside the worker, on loopback)");
  // Prompts must not leave the TEE: the engine runs beside the worker.
  if (!is_loopback_host(url->host))
    throw std::runtime_error(file.string() + ": 'engine.url' host \"" + url->host +
                             "\" is not loopback (127.0.0.0/8 or ::1): prompts would leave the TEE");
  c.engine_model_name = r.string("engine.model_name", c.model);
  // The embedded engine embeds with its model; an external one only when the operator says it can.
  c.engine_embeddings = r.boolean("engine.embeddings", c.engine_kind == "embedded");
  c.attestation = attest::read_attestation_settings(r, file.string());
  c.billing = billing::read_billing_settings(r, file.string(), "worker", !c.attestation.registry.endpoint.empty());
  c.proxies = attest::read_proxy_endpoints(r, "worker.proxies", "127.0.0.1:11001",
                                           !c.attestation.registry.endpoint.empty(), file.string());
  c.max_proxies = static_cast<uint32_t>(r.integer("worker.max_proxies", 16, 1, 256));
  r.refuse_unknown_keys();
  return c;
}

}  // namespace chrysalis::worker
