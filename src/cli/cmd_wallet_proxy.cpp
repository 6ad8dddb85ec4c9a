// `chrysalis wallet proxy-close`: a proxy operator asks to close its proxy contract from the
// owner wallet (the first call starts the delay, a call after the unlock time completes the close).
// The contract must name this wallet as its owner, else nothing is sent.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli/chain_client.h"
#include "cli/commands.h"
#include "ton/contracts/chrysalis_contracts.h"
#include "ton/contracts/contract_get_methods.h"
#include "ton/contracts/contract_messages.h"
#include "ton/wallet/wallet_key_file.h"
#include "ton/wallet/wallet_sender.h"

namespace chrysalis::cli {

namespace {

struct ProxyCloseArgs {
  std::string key, endpoint, proxy_contract;
};

int proxy_close(const ProxyCloseArgs& a) {
  auto key = ton::load_wallet_key(a.key);
  ton::Address contract;
  try {
    contract = ton::Address::parse(a.proxy_contract);
  } catch (const std::exception& e) {
    throw CLI::RuntimeError(std::string("--proxy-contract: ") + e.what(), 2);
  }
  boost::asio::io_context io;
  auto client = make_chain_client(io, a.endpoint);
  return run_chain_task(io, [&]() -> boost::asio::awaitable<nlohmann::json> {
    const auto wallet = key.wallet();
    auto before = co_await ton::contracts::read_proxy_data(*client, contract);
    if (!(before.owner == wallet.address()))
      throw std::runtime_error("the proxy contract " + contract.to_friendly() + " belongs to " +
                               before.owner.to_friendly() + ", not to this wallet (" + wallet.address().to_friendly() +
                               "): nothing sent");
    std::vector<ton::WalletOutMessage> messages{
        ton::bounceable_message(contract, ton::contracts::kGasAttached, ton::contracts::proxy_body::request_close(5))};
    co_await ton::send_and_wait(*client, key.key, wallet, messages);
    auto after = co_await ton::contracts::read_proxy_data(*client, contract);
    auto out = after.to_json();
    out["contract"] = contract.to_friendly();
    co_return out;
  });
}

}  // namespace

void register_wallet_proxy_commands(CLI::App& app) {
  auto found = app.get_subcommands([](CLI::App* s) { return s->get_name() == "wallet"; });
  CLI::App* wallet = found.empty() ? app.add_subcommand("wallet", "Wallet keys and contracts") : found.front();
  auto args = std::make_shared<ProxyCloseArgs>();
  auto* c = wallet->add_subcommand(
      "proxy-close", "Ask to close your proxy contract (again after the delay: complete it; workers keep their share)");
  c->add_option("--key", args->key, "The proxy owner's wallet key file")->required();
  c->add_option("--endpoint", args->endpoint, "toncenter v2 API")->required();
  c->add_option("--proxy-contract", args->proxy_contract, "The proxy contract's address")->required();
  c->callback([args] { proxy_close(*args); });
}

}  // namespace chrysalis::cli
