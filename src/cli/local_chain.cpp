#include "cli/local_chain.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <thread>

#include "cli/process_control.h"
#include "http/http_client.h"
#include "ton/toncenter/devnet_process.h"
#include "ton/wallet/wallet_key_file.h"

namespace chrysalis::cli {

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

std::string read_all(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

LocalChain start_local_chain(const fs::path& self, const fs::path& dir, int port, const LocalChainHashes& hashes) {
  ton::DevnetOptions options;
  options.devnet_dir = ton::find_devnet_dir();
  auto config = nlohmann::json::parse(read_all(options.devnet_dir / "config.json"));
  config["root"]["proxyImageHashes"] = {hashes.proxy_image};
  config["root"]["workerImageHashes"] = {hashes.worker_image};
  config["root"]["modelHashes"] = {hashes.model};
  {
    std::ofstream out(dir / "devnet.json", std::ios::trunc);
    out << config.dump(2);
  }
  auto log = dir / "devnet.log";
  fs::remove(log);
  pid_t pid =
      spawn_detached({self.string(), "devnet", "--port", std::to_string(port), "--config",
                      (dir / "devnet.json").string(), "--snapshot", (dir / "devnet-state.json").string(), "--reset"},
                     log);
  write_pid_file(dir / "devnet.pid", pid);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  while (std::chrono::steady_clock::now() < deadline) {
    std::istringstream lines(read_all(log));
    for (std::string line; std::getline(lines, line);)
      if (auto l = ton::parse_listening_line(line)) return {l->endpoint, l->root, l->base_url()};
    if (!process_alive(pid)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  throw std::runtime_error("the devnet did not start; last lines of " + log.string() + ":\n" + tail_file(log, 20));
}

namespace {

// POSTs JSON to one of the devnet's own endpoints; throws naming `what` unless it answers 200.
void devnet_post(const LocalChain& chain, const std::string& target, const nlohmann::json& body,
                 const std::string& what) {
  asio::io_context io;
  http::SimpleResponse res;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        http::ClientRequest r;
        r.method = "POST";
        r.url = chain.base_url;
        r.target = target;
        r.headers = {{"Content-Type", "application/json"}};
        r.body = body.dump();
        r.timeout = std::chrono::seconds(60);
        res = co_await http::http_fetch(io.get_executor(), r);
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  if (!res.ok() || res.status != 200)
    throw std::runtime_error(
        what + " failed: " + (res.ok() ? "HTTP " + std::to_string(res.status) + " " + res.body : res.message));
}

}  // namespace

fs::path funded_wallet(const LocalChain& chain, const fs::path& dir, const std::string& name, const std::string& ton) {
  auto file = dir / (name + ".wallet.json");
  auto key = ton::new_wallet_key();
  ton::save_wallet_key(key, file, true);
  devnet_post(chain, "/devnet/fund", {{"address", key.wallet().address().to_raw()}, {"amount", ton}},
              "funding " + name + "'s wallet from the devnet giver");
  return file;
}

void register_proxy(const LocalChain& chain, const std::string& public_key_hex, const std::string& workers_endpoint,
                    const std::string& clients_endpoint) {
  devnet_post(
      chain, "/devnet/register_proxy",
      {{"publicKey", public_key_hex}, {"workersEndpoint", workers_endpoint}, {"clientsEndpoint", clients_endpoint}},
      "registering the proxy in the root contract");
}

std::string paid_sections(const LocalChain& chain, const std::string& role, const fs::path& wallet) {
  std::string s = "[registry]\nendpoint = " + toml_quoted(chain.endpoint) + "\nroot = " + toml_quoted(chain.root) +
                  "\nrefresh_s = 3\nmax_age_s = 120\n";
  s += "[billing]\nenabled = true\nwallet_key = " + toml_quoted(wallet.string()) + "\n";
  if (role == "proxy")
    s += "stake_ton = \"1\"\ncommit_interval_ms = 2000\ncharge_threshold_ton = \"0.000000001\"\nclient_refresh_s = 5\n";
  if (role == "client") s += "deposit_ton = \"2\"\nstake_ton = \"1\"\ntopup_below_ton = \"1\"\n";
  if (role == "worker") s += "claim_threshold_ton = \"0.000000001\"\n";
  return s;
}

}  // namespace chrysalis::cli
