// `chrysalis proxy|worker|client|keybroker --config FILE`: run one node until SIGINT/SIGTERM.
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <iostream>

#include "cli/commands.h"
#include "client/client_node.h"
#include "common/log.h"
#include "keybroker/keybroker_node.h"
#include "proxy/proxy_node.h"
#include "worker/worker_node.h"

namespace chrysalis::cli {

namespace {

template <typename Node, typename Config>
int run_node(const std::string& role, const Config& config) {
  init_logging(role, config.log_level);
  boost::asio::io_context io;
  Node node(io, config);
  try {
    node.start();
  } catch (const std::exception& e) {
    spdlog::critical("{} failed to start: {}", role, e.what());
    return 1;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", sig);
    node.stop();
    // Give goodbyes and cancellations a moment to flush, then leave.
    auto timer = std::make_shared<boost::asio::steady_timer>(io, std::chrono::milliseconds(300));
    timer->async_wait([&io, timer](boost::system::error_code) { io.stop(); });
  });
  io.run();
  return 0;
}

void add_node(CLI::App& app, const std::string& role, const std::string& description,
              std::function<int(const std::string&)> run) {
  auto* cmd = app.add_subcommand(role, description);
  auto config = std::make_shared<std::string>(role + ".toml");
  cmd->add_option("-c,--config", *config, "configuration file (TOML)")->check(CLI::ExistingFile);
  cmd->callback([config, run] {
    int rc = 1;
    try {
      rc = run(*config);
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << "\n";
    }
    if (rc != 0) std::exit(rc);
  });
}

}  // namespace

void register_node_commands(CLI::App& app) {
  add_node(app, "proxy", "run a proxy (between clients and workers)",
           [](const std::string& file) { return run_node<proxy::ProxyNode>("proxy", proxy::load_proxy_config(file)); });
  add_node(app, "worker", "run a worker (serves a model from an inference engine)", [](const std::string& file) {
    return run_node<worker::WorkerNode>("worker", worker::load_worker_config(file));
  });
  add_node(app, "client", "run a client (OpenAI-compatible API for apps)", [](const std::string& file) {
    return run_node<client::ClientNode>("client", client::load_client_config(file));
  });
  add_node(app, "keybroker", "run a key broker (releases sealing keys to attested nodes over RA-TLS)",
           [](const std::string& file) {
             return run_node<keybroker::KeyBrokerNode>("keybroker", keybroker::load_keybroker_config(file));
           });
}

}  // namespace chrysalis::cli
