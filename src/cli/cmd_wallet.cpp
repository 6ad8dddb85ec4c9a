// `chrysalis wallet new | address | status`: the wallet key an operator or app developer pays and
// is paid with (a standard v4r2 wallet; issue 5 adds topup/withdraw/close on client contracts).
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli/chain_client.h"
#include "cli/commands.h"
#include "ton/toncenter/toncenter_client.h"
#include "ton/wallet/wallet_key_file.h"

namespace chrysalis::cli {

namespace {

nlohmann::json address_json(const ton::WalletKeyFile& key) {
  const auto wallet = key.wallet();
  const auto& a = wallet.address();
  return {{"wallet", "v4r2"},
          {"raw", a.to_raw()},
          {"bounceable", a.to_friendly(true, false)},
          {"non_bounceable", a.to_friendly(false, false)},
          {"testnet_non_bounceable", a.to_friendly(false, true)},
          {"wallet_id", wallet.wallet_id()}};
}

ton::WalletKeyFile load_or_exit(const std::string& file) {
  try {
    return ton::load_wallet_key(file);
  } catch (const std::exception& e) {
    throw CLI::RuntimeError(std::string("error: ") + e.what(), 2);
  }
}

}  // namespace

void register_wallet_commands(CLI::App& app) {
  auto* wallet = app.add_subcommand("wallet", "Wallet keys: create, show the address, read the balance");
  wallet->require_subcommand(1);

  auto* make = wallet->add_subcommand("new", "Create a wallet key file (0600) and print its addresses");
  auto out = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  auto devnet_name = std::make_shared<std::string>();
  make->add_option("--out", *out, "Key file to write")->required();
  make->add_flag("--force", *force, "Replace an existing key file");
  make->add_option("--devnet-name", *devnet_name,
                   "The devnet's named development wallet (devnet/config.json) instead of a random key");
  make->callback([=] {
    try {
      auto key = devnet_name->empty() ? ton::new_wallet_key() : ton::devnet_wallet_key(*devnet_name);
      ton::save_wallet_key(key, *out, *force);
      auto j = address_json(key);
      j["key_file"] = *out;
      std::cout << j.dump(2) << "\n";
    } catch (const std::exception& e) {
      throw CLI::RuntimeError(std::string("error: ") + e.what(), 2);
    }
  });

  auto* show = wallet->add_subcommand("address", "Print the wallet's addresses in every form");
  auto key_file = std::make_shared<std::string>();
  show->add_option("--key", *key_file, "Wallet key file")->required();
  show->callback([=] { std::cout << address_json(load_or_exit(*key_file)).dump(2) << "\n"; });

  auto* status = wallet->add_subcommand("status", "Read the wallet's balance and state from the chain");
  auto status_key = std::make_shared<std::string>();
  auto endpoint = std::make_shared<std::string>();
  status->add_option("--key", *status_key, "Wallet key file")->required();
  status->add_option("--endpoint", *endpoint, "toncenter v2 API (e.g. the devnet's)")->required();
  status->callback([=] {
    auto key = load_or_exit(*status_key);
    boost::asio::io_context io;
    auto client = make_chain_client(io, *endpoint);
    nlohmann::json result = address_json(key);
    std::string error;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          try {
            auto info = co_await client->get_wallet_information(key.wallet().address().to_raw());
            result["balance_nano"] = std::to_string(info.balance);
            result["state"] = info.account_state;
            result["seqno"] = info.seqno;
            result["deployed"] = info.wallet;
          } catch (const std::exception& e) {
            error = e.what();
          }
        },
        boost::asio::detached);
    io.run();
    if (!error.empty()) throw CLI::RuntimeError("error: " + error, 1);
    std::cout << result.dump(2) << "\n";
  });
}

}  // namespace chrysalis::cli
