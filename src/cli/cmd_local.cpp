// `chrysalis local up|down|status`: a whole network on loopback for demos and development.
#include "cli/commands.h"
#include "cli/local_network.h"

namespace chrysalis::cli {

void register_local_commands(CLI::App& app) {
  auto* local = app.add_subcommand("local", "run a local network (proxy, worker, client) on loopback");
  local->require_subcommand(1);
  auto opts = std::make_shared<LocalNetworkOptions>();
  auto* up = local->add_subcommand("up", "start the network and stream one answer");
  up->add_option("--dir", opts->dir, "state directory (configs, logs, keys, pids)");
  up->add_option("--model", opts->model, "GGUF model to serve (default: generate a test model)");
  up->add_option("--model-name", opts->model_name, "name the model is served under");
  up->add_option("--workers", opts->workers, "number of workers")->check(CLI::Range(1, 16));
  up->add_option("--client-port", opts->client_port, "client HTTP port")->check(CLI::Range(1, 65535));
  up->add_option("--proxy-port", opts->proxy_http_port, "proxy HTTP port (+1 workers, +2 clients)")
      ->check(CLI::Range(1, 65533));
  up->add_option("--worker-port", opts->worker_http_port, "first worker HTTP port")->check(CLI::Range(1, 65400));
  up->add_option("--threads", opts->engine_threads, "CPU threads per engine")->check(CLI::Range(1, 256));
  up->add_option("--pace-ms", opts->engine_pace_ms, "least ms between two tokens (a slower accelerator, to watch)")
      ->check(CLI::Range(0, 10000));
  up->add_option("--prompt", opts->prompt, "prompt of the demo request");
  up->add_option("--max-tokens", opts->max_tokens, "max_tokens of the demo request")->check(CLI::Range(1, 4096));
  up->add_flag("!--no-request", opts->send_request, "start the network without sending the demo request");
  up->add_flag("!--free", opts->paid, "no devnet and no billing: requests cost nothing");
  up->add_option("--devnet-port", opts->devnet_port, "devnet (toncenter API) port")->check(CLI::Range(1, 65535));
  up->callback([opts] { std::exit(local_up(*opts)); });

  auto dir = std::make_shared<std::filesystem::path>("run");
  auto* down = local->add_subcommand("down", "stop the local network");
  down->add_option("--dir", *dir, "state directory");
  down->callback([dir] { std::exit(local_down(*dir)); });
  auto* status = local->add_subcommand("status", "show the local network's processes and models");
  status->add_option("--dir", *dir, "state directory");
  status->callback([dir] { std::exit(local_status(*dir)); });
  auto name = std::make_shared<std::string>();
  auto* kill = local->add_subcommand("kill-worker", "SIGKILL a worker: the one answering now, or --name");
  kill->add_option("--dir", *dir, "state directory");
  kill->add_option("--name", *name, "the worker to kill (e.g. worker-2)");
  kill->callback([dir, name] { std::exit(local_kill_worker(*dir, *name)); });
}

}  // namespace chrysalis::cli
