// Chain-facing `chrysalis ton …` commands: `ton root show` reads the root contract's registry and
// prices through a toncenter v2 endpoint and prints them as JSON.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "ton/root_registry.h"

namespace chrysalis::cli {

namespace {

struct RootShowOptions {
  std::string endpoint;
  std::string address;
  std::string api_key;
  int timeout_s = 15;
  int retries = 3;
};

int root_show(const RootShowOptions& o) {
  ton::Address root;
  try {
    root = ton::Address::parse(o.address);
  } catch (const std::exception& e) {
    std::cerr << "error: --address: " << e.what() << "\n";
    return 2;
  }
  ton::ToncenterOptions options;
  options.endpoint = o.endpoint;
  options.api_key = o.api_key;
  options.timeout = std::chrono::seconds(o.timeout_s);
  options.retry.max_attempts = o.retries + 1;
  boost::asio::io_context io;
  std::unique_ptr<ton::ToncenterClient> client;
  try {
    client = std::make_unique<ton::ToncenterClient>(io.get_executor(), options);
  } catch (const std::exception& e) {
    std::cerr << "error: --endpoint: " << e.what() << "\n";
    return 2;
  }
  int rc = 1;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        try {
          auto registry = co_await ton::contracts::read_root_registry(*client, root);
          std::cout << registry.to_json().dump(2) << std::endl;
          rc = 0;
        } catch (const std::exception& e) {
          std::cerr << "error: " << e.what() << "\n";
        }
      },
      boost::asio::detached);
  io.run();
  return rc;
}

// The `ton` group is shared with the core TON tools: reuse it when already registered.
CLI::App* ton_group(CLI::App& app) {
  for (auto* sub : app.get_subcommands({})) {
    if (sub->get_name() == "ton") return sub;
  }
  auto* ton = app.add_subcommand("ton", "TON tools: addresses, BoCs, the root contract");
  ton->require_subcommand(1);
  return ton;
}

}  // namespace

void register_ton_chain_commands(CLI::App& app) {
  auto* ton = ton_group(app);
  auto* root = ton->add_subcommand("root", "the Chrysalis root contract");
  root->require_subcommand(1);
  auto opts = std::make_shared<RootShowOptions>();
  auto* show = root->add_subcommand("show", "print the root's registry and prices as JSON (through runGetMethod)");
  show->add_option("--endpoint", opts->endpoint, "toncenter v2 endpoint (http://HOST:PORT[/api/v2[/jsonRPC]])")->required();
  show->add_option("--address", opts->address, "root contract address (raw or user-friendly)")->required();
  show->add_option("--api-key", opts->api_key, "toncenter API key (X-API-Key)");
  show->add_option("--timeout", opts->timeout_s, "seconds per HTTP attempt")->check(CLI::Range(1, 600));
  show->add_option("--retries", opts->retries, "retries on 429/5xx/connection errors")->check(CLI::Range(0, 20));
  show->callback([opts] { std::exit(root_show(*opts)); });
}

}  // namespace chrysalis::cli
