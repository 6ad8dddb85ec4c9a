#include "cli/local_network.h"

#include "common/file_io.h"
#include "common/json_bounded.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <iostream>
#include <thread>

#include "attest/policy/policy.h"
#include "attest/quote/dev_ca.h"
#include "attest/ra_tls/evidence_sim.h"
#include "attest/ra_tls/ra_tls_identity.h"
#include "cli/local_chain.h"
#include "cli/process_control.h"
#include "common/time.h"
#include "common/toml_reader.h"
#include "http/http_client.h"
#include "http/web_assets.h"
#include "model/generated_model.h"
#include "sse/sse_parser.h"

namespace chrysalis::cli {

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

struct NodeSpec {
  std::string name;  // proxy, worker-1, client
  std::string role;  // proxy | worker | client
  fs::path config;
};

std::vector<NodeSpec> node_specs(const fs::path& dir, int workers) {
  std::vector<NodeSpec> specs{{"proxy", "proxy", dir / "proxy.toml"}};
  for (int i = 1; i <= workers; ++i)
    specs.push_back({"worker-" + std::to_string(i), "worker", dir / ("worker-" + std::to_string(i) + ".toml")});
  specs.push_back({"client", "client", dir / "client.toml"});
  return specs;
}

std::vector<NodeSpec> existing_nodes(const fs::path& dir) {
  std::vector<NodeSpec> out;
  if (!fs::exists(dir)) return out;
  for (auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".pid") continue;
    std::string name = entry.path().stem().string();
    std::string role = name.rfind("worker", 0) == 0 ? "worker" : name;
    out.push_back({name, role, dir / (name + ".toml")});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

// Attestation on by default: every node runs the simulated TEE signed by a development CA made
// for this network, trusts only that root, and allows exactly this network's proxy and worker
// images and the served model. The nodes run this same binary, so the hashes are computed here.
// A worker's image hash covers its trust settings and engine; a proxy's also covers what decides
// whom it hands prompts to: its worker and model lists, or the registry endpoint it reads them from.
struct NetworkImages {
  attest::Policy policy;                 // the dev root, and the allow-lists a static proxy measures
  attest::AttestationSettings settings;  // the model table a proxy measures
  std::string worker, proxy_static, model;
};

NetworkImages network_images(const fs::path& dir, const fs::path& model, const std::string& model_name) {
  fs::path ca = dir / "devca";
  if (!fs::exists(ca / "dev_root_ca.pem")) attest::write_dev_ca(attest::create_dev_ca(), ca);
  NetworkImages n;
  attest::apply_trust_entries(n.policy, {"dev:" + ca.string()});
  n.worker = attest::sim_image_hash(attest::measure_config("worker", n.policy));
  n.model = attest::model_hash_of_file(model);
  n.policy.allowed_worker_images = {n.worker};
  n.policy.allowed_models = {n.model};
  n.settings.model_names = {{model_name, n.model}};
  n.proxy_static = attest::sim_image_hash(attest::measure_config("proxy", n.settings, n.policy));
  return n;
}

// The root contract's lists: the proxy reads the registry from the devnet at `devnet_port`.
LocalChainHashes network_hashes(NetworkImages n, int devnet_port) {
  n.settings.registry.endpoint = "http://127.0.0.1:" + std::to_string(devnet_port) + "/api/v2/jsonRPC";
  std::string proxy = attest::sim_image_hash(attest::measure_config("proxy", n.settings, n.policy));
  return {proxy, n.worker, n.model};
}

std::string attestation_section(const fs::path& dir, const NetworkImages& n, const std::string& model_name,
                                const std::string& provider) {
  fs::path ca = dir / "devca";
  std::string section = "[attestation]\nprovider = " + toml_quoted(provider) + "\n";
  if (provider == "sim") section += "dev_ca = " + toml_quoted(ca.string()) + "\n";
  return section + "trust = [" + toml_quoted("dev:" + ca.string()) + "]\nallowed_proxy_images = [" + toml_quoted(n.proxy_static) +
         "]\nallowed_worker_images = [" + toml_quoted(n.worker) + "]\nallowed_models = [" + toml_quoted(n.model) + "]\nmodels = { " +
         toml_quoted(model_name) + " = " + toml_quoted(n.model) + " }\n";
}

// Paid: each node's [registry] and [billing] (empty when the network is free).
using PaidSections = std::map<std::string, std::string>;

void write_configs(const LocalNetworkOptions& o, const fs::path& dir, const fs::path& model,
                   const NetworkImages& images, PaidSections paid) {
  int p = o.proxy_http_port;
  // Paid: workers and the client find the proxy in the root contract, where it lists itself.
  // Free: there is no chain, so they are told where it is.
  auto static_proxies = [&](int port) {
    return o.paid ? std::string() : "proxies = [" + toml_quoted("127.0.0.1:" + std::to_string(port)) + "]\n";
  };
  const std::string tee = attestation_section(dir, images, o.model_name, "sim");
  write_text(dir / "proxy.toml", "[proxy]\nid = \"proxy\"\nhttp = " + toml_quoted("127.0.0.1:" + std::to_string(p)) +
                                     "\nworker_listen = " + toml_quoted("127.0.0.1:" + std::to_string(p + 1)) +
                                     "\nclient_listen = " + toml_quoted("127.0.0.1:" + std::to_string(p + 2)) +
                                     "\n[tls]\ndir = " + toml_quoted((dir / "proxy").string()) + "\n" + tee + paid["proxy"]);
  for (int i = 1; i <= o.workers; ++i) {
    std::string name = "worker-" + std::to_string(i);
    write_text(dir / (name + ".toml"),
               "[worker]\nid = " + toml_quoted(name) + "\nmodel = " + toml_quoted(o.model_name) +
"\ncoefficient = 1000\nmax_concurrent = 4\n" + static_proxies(p + 1) + "http = " + toml_quoted("127.0.0.1:" + std::to_string(o.worker_http_port + i - 1)) +
                   "\n[engine]\nkind = \"embedded\"\n" + "model = " + toml_quoted(fs::absolute(model).string()) +
                   "\nport = " + std::to_string(12100 + i - 1) + "\nthreads = " + std::to_string(o.engine_threads) +
                   "\npace_ms = " + std::to_string(o.engine_pace_ms) +
                   "\n[tls]\ndir = " + toml_quoted((dir / name).string()) + "\n" + tee + paid[name]);
  }
  write_text(dir / "client.toml",
"[client]\nid = \"client\"\nhttp = " + toml_quoted("127.0.0.1:" + std::to_string(o.client_port)) + "\n" +
                 static_proxies(p + 2) + "[tls]\ndir = " + toml_quoted((dir / "client").string()) + "\n" +
                 attestation_section(dir, images, o.model_name, "none") + paid["client"]);  // clients run outside TEEs
}

template <typename T>
T run_sync(asio::awaitable<T> work) {
  asio::io_context io;
  std::optional<T> result;
  asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    if (e) std::rethrow_exception(e);
    result = std::move(value);
  });
  io.run();
  return std::move(*result);
}

http::SimpleResponse get(const std::string& url) {
  return run_sync([](std::string u) -> asio::awaitable<http::SimpleResponse> {
    auto ex = co_await asio::this_coro::executor;
    co_return co_await http::http_get(ex, u, std::chrono::seconds(5));
  }(url));
}

int served_workers(int client_port, const std::string& model) {
  auto res = get("http://127.0.0.1:" + std::to_string(client_port) + "/v1/models");
  if (!res.ok() || res.status != 200) return 0;
  auto body = parse_json_bounded(res.body).value;
  if (!body.is_object() || !body.contains("data")) return 0;
  for (auto& m : body["data"])
    if (m.value("id", "") == model) return m.value("workers", 0);
  return 0;
}

// The root the devnet of this network runs (dir/devnet-info.json), or "" when there is none.
std::string devnet_root(const fs::path& dir) {
  std::ifstream in(dir / "devnet-info.json");
  auto info = nlohmann::json::parse(in, nullptr, false);  // our own file
  return info.is_object() ? info.value("root", "") : "";
}

bool client_billing_ready(int client_port) {
  auto res = get("http://127.0.0.1:" + std::to_string(client_port) + "/stats");
  if (!res.ok() || res.status != 200) return false;
  auto body = parse_json_bounded(res.body).value;
  if (!body.is_object() || !body["billing"].is_object() || !body["billing"]["accounts"].is_array()) return false;
  for (auto& a : body["billing"]["accounts"])
    if (a.value("ready", false)) return true;
  return false;
}

nlohmann::json stats_of(int port) {
  auto res = get("http://127.0.0.1:" + std::to_string(port) + "/stats");
  auto body = res.ok() && res.status == 200 ? parse_json_bounded(res.body).value : nlohmann::json();
  return body.is_object() && body["billing"].is_object() ? body["billing"] : nlohmann::json::object();
}

// The proxy lists itself in the root through its staked contract (proxy/proxy_listing.h); the
// workers and the client find it there. Waits (up to 90 s) until the root shows it.
bool wait_until_listed(const LocalNetworkOptions& o) {
  nlohmann::json listing;
  for (int i = 0; i < 900; ++i) {
    try {
      listing = stats_of(o.proxy_http_port).value("root_listing", nlohmann::json::object());
    } catch (const std::exception&) {
      // not listening yet
    }
    if (listing.value("listed", false)) {
      std::cout << "proxy listed itself in the root contract as proxy " << listing.value("seqno", 0) << " ("
                << listing.value("clients_endpoint", "") << " for clients, " << listing.value("workers_endpoint", "")
                << " for workers)\n";
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cerr << "error: the proxy did not appear in the root contract within 90 s (see proxy.log; last state: "
            << listing.dump() << ")\n";
  return false;
}

// Waits (up to 30 s) until the demo's usage is committed, charged to the client contract and
// claimed on chain by every worker that earned something, and prints what moved.
void report_settlement(const LocalNetworkOptions& o) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  nlohmann::json proxy;
  while (std::chrono::steady_clock::now() < deadline) {
    proxy = stats_of(o.proxy_http_port);
    bool charged = proxy.contains("clients") && !proxy["clients"].empty();
    for (auto& c : proxy.value("clients", nlohmann::json::array()))
      charged = charged && c.value("charged_on_chain_tokens", 0) == c.value("charged_tokens", 1);
    bool earned = false, claimed = true;
    for (int i = 0; i < o.workers; ++i) {
      auto worker = stats_of(o.worker_http_port + i);
      for (auto& p : worker.value("proxies", nlohmann::json::array())) {
        earned = earned || p.value("signed_tokens", 0) > 0;
        claimed = claimed && p.value("claimed_tokens", 0) == p.value("signed_tokens", 0);
      }
    }
    if (charged && earned && claimed && proxy.value("committed_seqno", 0) == proxy.value("seqno", -1)) {
      std::printf(
          "on chain: books committed at seqno %llu; client contract charged %s nanoTON; worker paid %s nanoTON; "
          "proxy commission %s nanoTON\n",
          static_cast<unsigned long long>(proxy.value("committed_seqno", 0)), proxy.value("charged_nano", "?").c_str(),
          proxy.value("worker_fees_nano", "?").c_str(), proxy.value("commission_nano", "?").c_str());
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  std::printf("on chain: not settled within 30 s yet (see /stats of the proxy and worker)\n");
}

// Streams one chat answer to stdout; returns false on failure.
bool demo_request(const LocalNetworkOptions& o) {
  nlohmann::json body = {{"model", o.model_name},
                         {"messages", {{{"role", "user"}, {"content", o.prompt}}}},
                         {"max_tokens", o.max_tokens},
                         {"temperature", 0},
                         {"stream", true},
                         {"stream_options", {{"include_usage", true}}}};
  std::cout << "\n> " << o.prompt << "\n< " << std::flush;
  int64_t t0 = steady_now_us(), first = 0;
  nlohmann::json usage, cost;
  std::string error;
  sse::SseParser parser;
  std::vector<sse::SseEvent> events;
  auto result = run_sync([&]() -> asio::awaitable<http::ClientResult> {
    auto ex = co_await asio::this_coro::executor;
    http::StreamingRequest request(ex);
    http::ClientRequest r;
    r.method = "POST";
    r.url = "http://127.0.0.1:" + std::to_string(o.client_port);
    r.target = "/v1/chat/completions";
    r.headers = {{"Content-Type", "application/json"}};
    r.body = body.dump();
    r.timeout = std::chrono::seconds(120);
    int status = 0;
    co_return co_await request.run(
        r, [&](const http::ResponseHead& h) { status = h.status; },
        [&](std::string_view bytes) {
          if (status != 200) {
            error.append(bytes);
            return true;
          }
          events.clear();
          parser.feed(bytes, events);
          for (auto& ev : events) {
            if (ev.done) continue;
            auto chunk = parse_json_bounded(ev.data).value;
            if (!chunk.is_object()) continue;
            if (chunk.contains("error")) error = chunk["error"].dump();
            if (chunk.contains("usage") && !chunk["usage"].is_null()) usage = chunk["usage"];
            if (chunk.contains("chrysalis")) cost = chunk["chrysalis"];
            if (chunk.contains("choices") && !chunk["choices"].empty()) {
              auto& delta = chunk["choices"][0]["delta"];
              if (delta.is_object() && delta.contains("content") && delta["content"].is_string()) {
                if (!first) first = steady_now_us();
                std::cout << delta["content"].get<std::string>() << std::flush;
              }
            }
          }
          return true;
        });
  }());
  double total_ms = (steady_now_us() - t0) / 1000.0;
  std::cout << "\n\n";
  if (!result.ok() || !error.empty() || usage.is_null()) {
    std::cout << "request failed: " << (error.empty() ? result.message : error) << "\n";
    return false;
  }
  uint64_t completion = usage.value("completion_tokens", 0);
  double gen_s = first ? (steady_now_us() - first) / 1e6 : 0;
  std::printf("usage: prompt_tokens=%llu completion_tokens=%llu total_tokens=%llu\n",
              static_cast<unsigned long long>(usage.value("prompt_tokens", 0)),
              static_cast<unsigned long long>(completion),
              static_cast<unsigned long long>(usage.value("total_tokens", 0)));
  if (cost.is_object() && cost.contains("cost_nano")) {
    std::string nano = cost.value("cost_nano", "0");
    std::printf(
        "cost: %s nanoTON for %llu adjusted tokens (reserved from the client contract, paid to the worker on chain)\n",
        nano.c_str(), static_cast<unsigned long long>(cost.value("charged_tokens", 0)));
  }
  if (cost.is_object() && cost.contains("receipt") && cost["receipt"].is_object()) {
    const auto& receipt = cost["receipt"];
    if (receipt.value("verified", false))
      std::printf("receipt: verified by the client: %s\n", receipt.value("summary", "").c_str());
    else
      std::printf("receipt: NOT verified: %s\n", receipt.value("problem", "?").c_str());
  }
  std::printf("timings: first token %.1f ms, total %.1f ms, %.1f tokens/s\n", first ? (first - t0) / 1000.0 : 0.0,
              total_ms, gen_s > 0 && completion > 1 ? (completion - 1) / gen_s : 0.0);
  return true;
}

// The model to serve: the given file, or a generated test model. Empty when the file is missing.
fs::path ensure_model(const LocalNetworkOptions& o, const fs::path& dir) {
  fs::path model = o.model.empty() ? dir / "model.gguf" : fs::absolute(o.model);
  if (o.model.empty() && !fs::exists(model)) {
    std::cout << "generating test model " << model << "\n";
    model::TestModelOptions mo;
    mo.name = o.model_name;
    model::write_test_model(mo, model);
  }
  if (!fs::exists(model)) {
    std::cerr << "error: model " << model << " does not exist\n";
    return {};
  }
  return model;
}

// A fresh devnet and a funded wallet for every node; returns each node's paid config sections.
PaidSections start_paid_chain(const LocalNetworkOptions& o, const fs::path& dir, const fs::path& self,
                              const NetworkImages& images) {
  PaidSections paid;
  // A fresh chain each time: the books and payouts of an earlier chain mean nothing on it.
  for (const char* f : {"books.sqlite", "books.sqlite-wal", "books.sqlite-shm"}) fs::remove(dir / "proxy" / f);
  for (int i = 1; i <= o.workers; ++i) fs::remove(dir / ("worker-" + std::to_string(i)) / "payouts.json");
  std::cout << "starting the devnet (TON emulator, root contract listing this network's images and model)...\n"
            << std::flush;
  auto chain = start_local_chain(self, dir, o.devnet_port, network_hashes(images, o.devnet_port));
  std::cout << "devnet up: " << chain.endpoint << ", root " << chain.root << "\n";
  write_text(dir / "devnet-info.json",
             nlohmann::json{{"endpoint", chain.endpoint}, {"root", chain.root}}.dump(2) + "\n");
  // Every node's wallet is new and funded from the devnet giver.
  paid["proxy"] = paid_sections(chain, "proxy", funded_wallet(chain, dir, "proxy", "5"));
  paid["client"] = paid_sections(chain, "client", funded_wallet(chain, dir, "client", "10"));
  for (int i = 1; i <= o.workers; ++i) {
    std::string name = "worker-" + std::to_string(i);
    paid[name] = paid_sections(chain, "worker", funded_wallet(chain, dir, name, "1"));
  }
  std::cout << "wallets funded from the giver: proxy 5 TON, client 10 TON, workers 1 TON each\n";
  return paid;
}

// Starts each node that is not running yet, detached, with its log beside its pid file.
void spawn_nodes(const std::vector<NodeSpec>& specs, const fs::path& dir, const fs::path& self) {
  for (auto& spec : specs) {
    auto pid_file = dir / (spec.name + ".pid");
    if (auto pid = read_pid_file(pid_file); pid && process_alive(*pid)) {
      std::cout << spec.name << " already running (pid " << *pid << ")\n";
      continue;
    }
    pid_t pid =
        spawn_detached({self.string(), spec.role, "--config", spec.config.string()}, dir / (spec.name + ".log"));
    write_pid_file(pid_file, pid);
    std::cout << "started " << spec.name << " (pid " << pid << "), log " << (dir / (spec.name + ".log")).string()
              << "\n";
  }
}

// Waits (180 s at most) until every worker serves the model and, when paid, the client contract is
// funded. False, having said why, when a node exits or time runs out.
bool wait_until_ready(const LocalNetworkOptions& o, const fs::path& dir, const std::vector<NodeSpec>& specs) {
  std::cout << "waiting for " << o.workers << " worker(s) to serve " << o.model_name << "..." << std::flush;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  while (served_workers(o.client_port, o.model_name) < o.workers) {
    for (auto& spec : specs) {
      auto pid = read_pid_file(dir / (spec.name + ".pid"));
      if (!pid || !process_alive(*pid)) {
        std::cerr << "\nerror: " << spec.name << " exited; last lines of its log:\n"
                  << tail_file(dir / (spec.name + ".log"), 20);
        return false;
      }
    }
    if (std::chrono::steady_clock::now() > deadline) {
      std::cerr << "\nerror: the network did not become ready within 180 s; see the logs in " << dir << "\n";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    std::cout << "." << std::flush;
  }
  if (o.paid) {
    std::cout << " serving; funding the client contract..." << std::flush;
    while (!client_billing_ready(o.client_port)) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::cerr << "\nerror: the client contract was not funded within 180 s; see " << dir / "client.log"
                  << "\n";
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      std::cout << "." << std::flush;
    }
  }
  std::cout << " ready\n";
  return true;
}

// What to try next on the running network, and how to stop it.
void print_usage_hints(const LocalNetworkOptions& o, const fs::path& dir) {
  std::string base = "http://127.0.0.1:" + std::to_string(o.client_port);
  std::error_code ec;
  const bool web_built = fs::is_regular_file(http::default_web_dir() / "index.html", ec);
  std::cout << "\nOpen in a browser" << (web_built ? "" : " (after `make web`: the web app is not built)") << ":\n"
            << "  chat:      " << base << "/\n"
            << "  dashboard: http://127.0.0.1:" << o.proxy_http_port << "/dashboard (proxy), http://127.0.0.1:"
            << o.worker_http_port << "/dashboard (a worker), " << base << "/dashboard (the client)\n";
  std::cout << "\nThe network keeps running. Try:\n"
            << "  curl -s " << base << "/v1/models\n"
            << "  curl -sN " << base << "/v1/chat/completions -H 'Content-Type: application/json' \\\n"
            << "    -d '{\"model\":\"" << o.model_name
            << "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":32,\"stream\":true}'\n"
            << "  curl -s http://127.0.0.1:" << o.proxy_http_port << "/stats   # the proxy's books under \"billing\"\n"
            << "  curl -s " << base << "/admin/billing -H \"Authorization: Bearer $(cat "
            << (dir / "client" / "admin.token").string() << ")\"   # the client's contract and spending\n"
            << "The admin token (" << (dir / "client" / "admin.token").string()
            << ", 0600): " << read_or_create_secret_token(dir / "client" / "admin.token") << "\n"
            << (o.paid ? "  " + fs::path("build/chrysalis").string() + " ton root show --endpoint http://127.0.0.1:" +
                             std::to_string(o.devnet_port) + " --address " + devnet_root(dir) + "   # the price list\n"
                       : std::string())
            << (o.workers > 1 ? "  build/chrysalis local kill-worker" +
                                    std::string(o.dir == "run" ? "" : " --dir " + o.dir.string()) +
                                    "   # mid-answer: the answer goes on on another worker (docs/resume.md;"
                                    " --pace-ms 100 gives time)\n"
                              : std::string())
            << "Stop it with: build/chrysalis local down" << (o.dir == "run" ? "" : " --dir " + o.dir.string()) << "\n";
}

}  // namespace

int local_up(const LocalNetworkOptions& o) {
  fs::create_directories(o.dir);
  fs::path dir = fs::absolute(o.dir);
  fs::path model = ensure_model(o, dir);
  if (model.empty()) return 1;
  fs::path self = fs::read_symlink("/proc/self/exe");
  auto specs = node_specs(dir, o.workers);
  PaidSections paid;
  auto proxy_pid = read_pid_file(dir / "proxy.pid");
  bool running = proxy_pid && process_alive(*proxy_pid);
  if (!running) {
    // The model file and this binary are hashed once, for every config and the root's lists.
    const auto images = network_images(dir, model, o.model_name);
    if (o.paid) paid = start_paid_chain(o, dir, self, images);
    write_configs(o, dir, model, images, paid);
  }
  spawn_nodes(specs, dir, self);
  if (o.paid && !running && !wait_until_listed(o)) return 1;
  if (!wait_until_ready(o, dir, specs)) return 1;
  if (o.send_request && !demo_request(o)) return 1;
  if (o.send_request && o.paid) report_settlement(o);
  print_usage_hints(o, dir);
  return 0;
}

int local_down(const fs::path& dir_in) {
  fs::path dir = fs::absolute(dir_in);
  auto nodes = existing_nodes(dir);
  // Clients first, proxy last, so nothing reconnects in between.
  std::reverse(nodes.begin(), nodes.end());
  int failures = 0;
  for (auto& n : nodes) {
    auto pid_file = dir / (n.name + ".pid");
    auto pid = read_pid_file(pid_file);
    if (pid && process_alive(*pid)) {
      bool stopped = stop_process(*pid);
      std::cout << (stopped ? "stopped " : "could not stop ") << n.name << " (pid " << *pid << ")\n";
      if (!stopped) ++failures;
    }
    fs::remove(pid_file);
  }
  if (nodes.empty()) std::cout << "nothing running in " << dir << "\n";
  return failures ? 1 : 0;
}

int local_status(const fs::path& dir_in) {
  fs::path dir = fs::absolute(dir_in);
  auto nodes = existing_nodes(dir);
  if (nodes.empty()) {
    std::cout << "nothing running in " << dir << "\n";
    return 1;
  }
  int down = 0;
  for (auto& n : nodes) {
    auto pid = read_pid_file(dir / (n.name + ".pid"));
    bool alive = pid && process_alive(*pid);
    if (!alive) ++down;
    std::cout << n.name << ": " << (alive ? "running (pid " + std::to_string(*pid) + ")" : "not running") << "\n";
  }
  return down ? 1 : 0;
}

// The worker to kill: the named one, or the one whose /stats shows a request running.
int local_kill_worker(const fs::path& dir_in, const std::string& name) {
  fs::path dir = fs::absolute(dir_in);
  std::optional<NodeSpec> victim;
  for (auto& n : existing_nodes(dir)) {
    if (n.role != "worker") continue;
    auto pid = read_pid_file(dir / (n.name + ".pid"));
    if (!pid || !process_alive(*pid)) continue;
    if (!name.empty()) {
      if (n.name == name) victim = n;
      continue;
    }
    TomlReader config(n.config);
    auto res = get("http://" + config.string("worker.http", "") + "/stats");
    auto stats = parse_json_bounded(res.body).value;
    if (res.ok() && stats.is_object() && stats.value("running", 0) > 0) {
      victim = n;
      break;
    }
  }
  if (!victim) {
    std::cerr << (name.empty() ? "no worker in " + dir.string() + " is answering a request now; name one with --name"
                               : "no running worker named " + name + " in " + dir.string())
              << "\n";
    return 1;
  }
  auto pid = read_pid_file(dir / (victim->name + ".pid"));
  ::kill(*pid, SIGKILL);
  std::cout << "killed " << victim->name << " (pid " << *pid << ", SIGKILL)\n";
  return 0;
}

}  // namespace chrysalis::cli
