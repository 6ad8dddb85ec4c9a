// `chrysalis wallet topup | withdraw | close`: the app developer's money on a client contract
// (one per client wallet and proxy). Every amount and address is checked before anything is
// signed; a refused command sends nothing. Each command waits for the chain and prints the
// client contract's state afterwards as JSON.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

#include "billing/billing_hello.h"
#include "cli/chain_client.h"
#include "cli/commands.h"
#include "ton/cells/encoding.h"
#include "ton/contracts/client_contract_funding.h"
#include "ton/contracts/contract_get_methods.h"
#include "ton/contracts/contract_init.h"
#include "ton/contracts/root_registry.h"
#include "ton/wallet/wallet_key_file.h"
#include "ton/wallet/wallet_sender.h"

namespace chrysalis::cli {

namespace {

namespace contracts = ton::contracts;

struct ClientContractArgs {
  std::string key, endpoint, root, proxy_contract, proxy_key;
  std::string amount, stake;
};

void add_contract_options(CLI::App* cmd, ClientContractArgs& a) {
  cmd->add_option("--key", a.key, "Wallet key file (chrysalis wallet new)")->required();
  cmd->add_option("--endpoint", a.endpoint, "toncenter v2 API")->required();
  cmd->add_option("--root", a.root, "Root contract address of the network")->required();
  cmd->add_option("--proxy-contract", a.proxy_contract, "The proxy's contract address")->required();
  cmd->add_option("--proxy-key", a.proxy_key, "The proxy's public key (64 hex)")->required();
}

// Everything a command needs, validated before any network call.
struct Target {
  ton::WalletKeyFile key;
  ton::Address root, proxy_contract;
  ton::PublicKey proxy_key{};
};

Target validate(const ClientContractArgs& a) {
  auto usage = [](const std::string& m) { return CLI::RuntimeError(m, 2); };
  Target t{ton::load_wallet_key(a.key)};
  try {
    t.root = ton::Address::parse(a.root);
  } catch (const std::exception& e) {
    throw usage(std::string("--root: ") + e.what());
  }
  try {
    t.proxy_contract = ton::Address::parse(a.proxy_contract);
  } catch (const std::exception& e) {
    throw usage(std::string("--proxy-contract: ") + e.what());
  }
  try {
    t.proxy_key = billing::public_key_from_hex(a.proxy_key, "--proxy-key");
  } catch (const std::invalid_argument&) {
    throw usage("--proxy-key: expected 64 hex characters (an Ed25519 public key)");
  }
  return t;
}

uint64_t amount_or_usage(const std::string& text, const std::string& what, bool allow_zero = false) {
  try {
    return ton::parse_ton_amount(text, what, allow_zero);
  } catch (const std::invalid_argument& e) {
    throw CLI::RuntimeError(e.what(), 2);
  }
}

enum class Action { TopUp, Withdraw, Close };

int run_action(Action action, const ClientContractArgs& a, uint64_t amount, uint64_t stake) {
  Target t;
  try {
    t = validate(a);
  } catch (const CLI::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw CLI::RuntimeError(e.what(), 2);
  }
  boost::asio::io_context io;
  auto client = make_chain_client(io, a.endpoint);
  int rc = 1;
  std::string error;
  nlohmann::json out;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        try {
          auto registry = co_await contracts::read_root_registry(*client, t.root);
          const auto wallet = t.key.wallet();
          const contracts::ClientContractRef ref{registry.network(), wallet.address(), t.proxy_contract, t.proxy_key};
          const auto contract = ref.address();
          auto before = co_await contracts::read_client_data_if_deployed(*client, contract);
          const std::string wallet_raw = wallet.address().to_raw();
          auto wallet_info = co_await client->get_wallet_information(wallet_raw);
          std::vector<ton::WalletOutMessage> messages;
          if (action == Action::TopUp) {
            if (auto refusal = contracts::client_funding_refusal(wallet_info.balance, amount, stake)) {
              error = *refusal;
              co_return;
            }
            messages = contracts::client_funding_messages(ref, amount, stake, before.has_value());
          } else {
            if (!before) {
              error = "no client contract at " + contract.to_friendly() + " for this wallet and proxy: nothing to " +
                      (action == Action::Withdraw ? "withdraw" : "close");
              co_return;
            }
            if (auto refusal = action == Action::Withdraw ? contracts::client_withdraw_refusal(before->balance, amount)
                                                          : std::nullopt) {
              error = *refusal;
              co_return;
            }
            auto body = action == Action::Withdraw ? contracts::client_body::withdraw(amount, 3)
                                                   : contracts::client_body::request_close(4);
            messages.push_back(contracts::client_message(contract, body));
          }
          co_await ton::send_and_wait(*client, t.key.key, wallet, messages);
          auto after = co_await contracts::read_client_data(*client, contract);
          // The contract may still refuse (e.g. a withdrawal into the stake): it bounces, nothing moves.
          if (action == Action::Withdraw && before && after.balance + amount != before->balance) {
            error =
                "the client contract refused the withdrawal (it may not go below the stake and the charged amount); "
                "balance stays " +
                ton::format_ton(after.balance) + " TON";
            co_return;
          }
          out = after.to_json();
          out["contract"] = contract.to_friendly();
          out["balance_ton"] = ton::format_ton(after.balance);
          out["stake_ton"] = ton::format_ton(after.stake);
          rc = 0;
        } catch (const std::exception& e) {
          error = e.what();
        }
      },
      boost::asio::detached);
  io.run();
  if (rc != 0) throw CLI::RuntimeError(error, 1);
  std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace

void register_wallet_client_commands(CLI::App& app) {
  auto found = app.get_subcommands([](CLI::App* s) { return s->get_name() == "wallet"; });
  CLI::App* wallet = found.empty() ? app.add_subcommand("wallet", "Wallet keys and client contracts") : found.front();

  auto topup = std::make_shared<ClientContractArgs>();
  auto* t = wallet->add_subcommand("topup", "Deploy or fund the client contract for a proxy (balance and stake)");
  add_contract_options(t, *topup);
  t->add_option("--amount", topup->amount, "TON added to the balance (e.g. 2.5)")->required();
  t->add_option("--stake", topup->stake, "TON added to the stake (default 0)");
  t->callback([topup] {
    uint64_t amount = amount_or_usage(topup->amount, "--amount", !topup->stake.empty());
    uint64_t stake = topup->stake.empty() ? 0 : amount_or_usage(topup->stake, "--stake", true);
    if (amount == 0 && stake == 0) throw CLI::RuntimeError("--amount and --stake are both zero: nothing to send", 2);
    run_action(Action::TopUp, *topup, amount, stake);
  });

  auto withdraw = std::make_shared<ClientContractArgs>();
  auto* w = wallet->add_subcommand("withdraw", "Take TON above the stake and the charged amount back to the wallet");
  add_contract_options(w, *withdraw);
  w->add_option("--amount", withdraw->amount, "TON to withdraw")->required();
  w->callback(
      [withdraw] { run_action(Action::Withdraw, *withdraw, amount_or_usage(withdraw->amount, "--amount"), 0); });

  auto close = std::make_shared<ClientContractArgs>();
  auto* c = wallet->add_subcommand("close", "Ask to close the client contract (the rest comes back after the delay)");
  add_contract_options(c, *close);
  c->callback([close] { run_action(Action::Close, *close, 0, 0); });
}

}  // namespace chrysalis::cli
