// Chain-facing `chrysalis ton …` commands: `ton root show` reads the root contract's registry and
// prices, `ton contract show --kind proxy|client|worker` one child contract's state, through a
// toncenter v2 endpoint, and print them as JSON.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/subcommand_group.h"
#include "ton/contracts/contract_get_methods.h"
#include "ton/contracts/root_registry.h"

namespace chrysalis::cli {

namespace {

struct RootShowOptions {
  std::string endpoint;
  std::string address;
  std::string api_key;
  int timeout_s = 15;
  int retries = 3;
  std::string kind;  // contract show: proxy | client | worker
};

using Reader = std::function<boost::asio::awaitable<nlohmann::json>(ton::ToncenterClient&, const ton::Address&)>;

int chain_show(const RootShowOptions& o, Reader read) {
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
          auto out = co_await read(*client, root);
          std::cout << out.dump(2) << std::endl;
          rc = 0;
        } catch (const std::exception& e) {
          std::cerr << "error: " << e.what() << "\n";
        }
      },
      boost::asio::detached);
  io.run();
  return rc;
}


}  // namespace

void register_ton_chain_commands(CLI::App& app) {
  auto* ton = ton_group(app);
  auto* root = ton->add_subcommand("root", "the Chrysalis root contract");
  root->require_subcommand(1);
  auto opts = std::make_shared<RootShowOptions>();
  auto* show = root->add_subcommand("show", "print the root's registry and prices as JSON (through runGetMethod)");
  show->add_option("--endpoint", opts->endpoint, "toncenter v2 endpoint (http://HOST:PORT[/api/v2[/jsonRPC]])")
      ->required();
  show->add_option("--address", opts->address, "root contract address (raw or user-friendly)")->required();
  show->add_option("--api-key", opts->api_key, "toncenter API key (X-API-Key)");
  show->add_option("--timeout", opts->timeout_s, "seconds per HTTP attempt")->check(CLI::Range(1, 600));
  show->add_option("--retries", opts->retries, "retries on 429/5xx/connection errors")->check(CLI::Range(0, 20));
  show->callback([opts] {
    std::exit(
        chain_show(*opts, [](ton::ToncenterClient& c, const ton::Address& a) -> boost::asio::awaitable<nlohmann::json> {
          auto registry = co_await ton::contracts::read_root_registry(c, a);
          co_return registry.to_json();
        }));
  });

  auto* contract = ton->add_subcommand("contract", "a Chrysalis proxy, client or worker contract");
  contract->require_subcommand(1);
  auto copts = std::make_shared<RootShowOptions>();
  auto* cshow = contract->add_subcommand(
      "show", "print the contract's state as JSON (get_proxy_data / get_client_data / get_worker_data)");
  cshow->add_option("--endpoint", copts->endpoint, "toncenter v2 endpoint")->required();
  cshow->add_option("--address", copts->address, "contract address (raw or user-friendly)")->required();
  cshow->add_option("--kind", copts->kind, "proxy | client | worker")
      ->required()
      ->check(CLI::IsMember({"proxy", "client", "worker"}));
  cshow->add_option("--api-key", copts->api_key, "toncenter API key (X-API-Key)");
  cshow->callback([copts] {
    std::string kind = copts->kind;
    std::exit(chain_show(
        *copts, [kind](ton::ToncenterClient& c, const ton::Address& a) -> boost::asio::awaitable<nlohmann::json> {
          nlohmann::json out;
          if (kind == "proxy") {
            auto d = co_await ton::contracts::read_proxy_data(c, a);
            out = d.to_json();
          } else if (kind == "client") {
            auto d = co_await ton::contracts::read_client_data(c, a);
            out = d.to_json();
          } else {
            auto d = co_await ton::contracts::read_worker_data(c, a);
            out = d.to_json();
          }
          const std::string raw = a.to_raw();
          uint64_t balance = co_await c.get_address_balance(raw);
          out["ton_balance_nano"] = std::to_string(balance);
          co_return out;
        }));
  });
}

}  // namespace chrysalis::cli
