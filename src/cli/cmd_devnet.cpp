// `chrysalis devnet`: runs the local TON devnet (node devnet/src/main.mjs) in the foreground,
// says where its toncenter API listens and forwards SIGINT/SIGTERM to it.
#include <signal.h>

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "ton/toncenter/devnet_process.h"

namespace chrysalis::cli {

namespace {

volatile sig_atomic_t g_devnet_pid = 0;

void forward_signal(int sig) {
  if (g_devnet_pid > 0) kill(static_cast<pid_t>(g_devnet_pid), sig);
}

struct DevnetCliOptions {
  int port = -1;
  std::string host;
  std::string snapshot;
  std::string config;
  std::string dir;
  bool reset = false;
  int startup_timeout_s = 120;
};

int run_devnet(const DevnetCliOptions& cli) {
  ton::DevnetOptions options;
  options.devnet_dir = cli.dir;
  options.host = cli.host;
  if (cli.port >= 0) options.port = static_cast<uint16_t>(cli.port);
  options.snapshot = cli.snapshot;
  options.config = cli.config;
  options.reset = cli.reset;
  std::unique_ptr<ton::DevnetProcess> devnet;
  try {
    devnet = ton::DevnetProcess::start(options, std::chrono::seconds(cli.startup_timeout_s),
                                       [](const std::string& line) { std::cout << line << std::endl; });
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  g_devnet_pid = devnet->pid();
  struct sigaction sa {};
  sa.sa_handler = forward_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  const auto& l = devnet->listening();
  std::cout << "devnet listening: toncenter API " << l.endpoint << " (REST " << l.base_url()
            << "/api/v2/<method>), root " << l.root << (l.snapshot.empty() ? "" : ", snapshot " + l.snapshot)
            << std::endl;
  int status = devnet->wait();
  g_devnet_pid = 0;
  devnet->stop();
  // A devnet stopped by our forwarded signal exits 0; anything else is passed on.
  return status;
}

}  // namespace

void register_devnet_commands(CLI::App& app) {
  auto opts = std::make_shared<DevnetCliOptions>();
  auto* cmd =
      app.add_subcommand("devnet", "run the local TON devnet (toncenter API v2 on 127.0.0.1, root contract deployed)");
  cmd->add_option("--port", opts->port, "port of the API (0 = any free port; default: the config's, 8091)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--host", opts->host, "address to listen on (default: the config's, 127.0.0.1)");
  cmd->add_option("--snapshot", opts->snapshot, "state file (default: the config's, devnet/state/devnet.json)");
  cmd->add_option("--config", opts->config, "devnet config JSON (wallets, root params; default devnet/config.json)");
  cmd->add_option("--dir", opts->dir, "devnet directory (default: CHRYSALIS_DEVNET_DIR or found next to the binary)");
  cmd->add_option("--startup-timeout", opts->startup_timeout_s, "seconds to wait for the devnet to listen")
      ->check(CLI::Range(1, 3600));
  cmd->add_flag("--reset", opts->reset, "start a fresh chain even when the snapshot exists");
  cmd->callback([opts] { std::exit(run_devnet(*opts)); });
}

}  // namespace chrysalis::cli
