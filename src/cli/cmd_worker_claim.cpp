// `chrysalis worker claim [--config worker.toml]`: asks the running worker to claim every signed,
// unclaimed payout on chain now, whatever its claim threshold (a worker winding down, or an
// operator who wants the money). Reads the worker's HTTP address and admin token from its config
// and state folder; prints what was claimed and the worker's payout history.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

#include "cli/commands.h"
#include "common/file_io.h"
#include "common/json_bounded.h"
#include "http/http_client.h"
#include "worker/worker_config.h"

namespace chrysalis::cli {

namespace {

int claim(const std::string& config_file) {
  auto config = worker::load_worker_config(config_file);
  const auto token_file = config.state_dir / "admin.token";
  if (!std::filesystem::exists(token_file))
    throw CLI::RuntimeError("no admin token at " + token_file.string() + ": has this worker ever started?", 1);
  http::ClientRequest request;
  request.method = "POST";
  std::string host = config.http.host == "0.0.0.0" ? "127.0.0.1" : config.http.host;
  request.url = "http://" + host + ":" + std::to_string(config.http.port);
  request.target = "/admin/claim";
  request.headers = {{"Authorization", "Bearer " + read_or_create_secret_token(token_file)}};
  request.timeout = std::chrono::seconds(300);  // one chain transaction per proxy
  boost::asio::io_context io;
  http::SimpleResponse response;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { response = co_await http::http_fetch(io.get_executor(), request); },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  if (!response.ok()) throw CLI::RuntimeError("the worker at " + request.url + " did not answer: " + response.message, 1);
  auto body = parse_json_bounded(response.body).value;
  if (response.status != 200)
    throw CLI::RuntimeError("the worker refused (HTTP " + std::to_string(response.status) + "): " + response.body, 1);
  nlohmann::json out = {{"claims", body.value("claims", nlohmann::json::array())},
                        {"payouts", body["billing"].value("payouts", nlohmann::json::array())}};
  std::cout << out.dump(2) << "\n";
  for (auto& c : out["claims"])
    if (!c.value("error", "").empty()) return 1;
  return 0;
}

}  // namespace

void register_worker_claim_command(CLI::App& app) {
  CLI::App* worker = nullptr;
  for (auto* sub : app.get_subcommands([](CLI::App* s) { return s->get_name() == "worker"; })) worker = sub;
  if (!worker) throw std::logic_error("register_node_commands must run first");
  auto config = std::make_shared<std::string>("worker.toml");
  auto* cmd = worker->add_subcommand("claim", "ask the running worker to claim every signed payout on chain now");
  cmd->add_option("-c,--config", *config, "the worker's configuration file (TOML)")->check(CLI::ExistingFile);
  // Exits here so that the parent `worker` command does not start a node afterwards.
  cmd->callback([config] { std::exit(claim(*config)); });
}

}  // namespace chrysalis::cli
