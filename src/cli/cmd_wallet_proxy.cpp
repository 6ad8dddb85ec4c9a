// `chrysalis wallet proxy-close`: a proxy operator asks to close its proxy contract from the
// owner wallet (the first call starts the delay, a call after the unlock time completes the close;
// the contract takes the proxy off the root's list at the first).
// `chrysalis wallet proxy-delist`: takes the proxy off the root's list through its contract (the
// proxy lists itself, signed by its TEE key; the owner can only take it off). The contract must name this wallet as its owner, else
// nothing is sent.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <iostream>

#include "cli/chain_client.h"
#include "cli/commands.h"
#include "ton/contracts/chrysalis_contracts.h"
#include "ton/contracts/contract_get_methods.h"
#include "ton/contracts/contract_messages.h"
#include "ton/wallet/ton_amount.h"
#include "ton/wallet/wallet_key_file.h"
#include "ton/wallet/wallet_sender.h"

namespace chrysalis::cli {

namespace {

struct ProxyCloseArgs {
  std::string key, endpoint, proxy_contract;
  std::string amount;  // proxy-withdraw: TON, or "all"
};

using BodyFor = std::function<ton::CellRef(const ton::Address& contract, const ton::contracts::ProxyContractData&)>;
// Empty when the contract moved as asked; else why it refused (read from before and after).
using Refusal = std::function<std::string(const ton::contracts::ProxyContractData& before,
                                          const ton::contracts::ProxyContractData& after)>;

// Sends what `body_for` builds to the proxy contract from its owner's wallet; prints the contract afterwards.
int send_to_own_proxy(const ProxyCloseArgs& a, BodyFor body_for, Refusal refused = {}) {
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
        ton::bounceable_message(contract, ton::contracts::kGasAttached, body_for(contract, before))};
    co_await ton::send_and_wait(*client, key.key, wallet, messages);
    auto after = co_await ton::contracts::read_proxy_data(*client, contract);
    if (refused)
      if (std::string why = refused(before, after); !why.empty()) throw std::runtime_error(why);
    auto out = after.to_json();
    out["contract"] = contract.to_friendly();
    co_return out;
  });
}

int proxy_close(const ProxyCloseArgs& a) {
  return send_to_own_proxy(
      a, [](const auto&, const auto&) { return ton::contracts::proxy_body::request_close(5); },
      [](const ton::contracts::ProxyContractData& before, const ton::contracts::ProxyContractData& after) {
        if (after.state != before.state) return std::string();
        if (before.state == 1)
          return "the contract refused: its close delay runs until " + std::to_string(after.unlock_ts) +
                 " (unix time on chain); ask again after that";
        return std::string("the contract refused: it is already closed");
      });
}

// What the owner may take: the earned balance minus the workers' unclaimed share (the contract
// refuses more). "all" withdraws exactly that, read from the contract first.
int proxy_withdraw(const ProxyCloseArgs& a) {
  std::optional<uint64_t> amount;
  try {
    if (a.amount != "all") amount = ton::parse_ton_amount(a.amount, "--amount");
  } catch (const std::exception& e) {
    throw CLI::RuntimeError(e.what(), 2);
  }
  ton::Address contract;
  try {
    contract = ton::Address::parse(a.proxy_contract);
  } catch (const std::exception& e) {
    throw CLI::RuntimeError(std::string("--proxy-contract: ") + e.what(), 2);
  }
  uint64_t withdrawable = 0;
  {
    boost::asio::io_context io;
    auto client = make_chain_client(io, a.endpoint);
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          withdrawable = co_await ton::contracts::read_proxy_withdrawable(*client, contract);
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    io.run();
  }
  if (amount && *amount > withdrawable)
    throw CLI::RuntimeError("the proxy contract lets its owner withdraw " + ton::format_ton(withdrawable) +
                                " TON now (the rest is the workers' unclaimed share or the stake): nothing sent",
                            1);
  if (withdrawable == 0) throw CLI::RuntimeError("nothing to withdraw: nothing sent", 1);
  uint64_t value = amount.value_or(withdrawable);
  return send_to_own_proxy(
      a, [value](const auto&, const auto&) { return ton::contracts::proxy_body::withdraw(value, 7); },
      [](const ton::contracts::ProxyContractData& before, const ton::contracts::ProxyContractData& after) {
        return after.balance < before.balance ? std::string()
                                              : std::string("the contract refused the withdrawal: its balance stays ") +
                                                    ton::format_ton(after.balance) + " TON";
      });
}

int proxy_delist(const ProxyCloseArgs& a) {
  return send_to_own_proxy(a, [](const ton::Address& contract, const ton::contracts::ProxyContractData& data) {
    return ton::contracts::proxy_body::delist(contract, data.root, 6);
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

  auto largs = std::make_shared<ProxyCloseArgs>();
  auto* l = wallet->add_subcommand("proxy-delist",
                                   "Take your proxy off the root's list (it stays off until the proxy restarts; "
                                   "a running proxy lists itself, signed by its TEE key)");
  l->add_option("--key", largs->key, "The proxy owner's wallet key file")->required();
  l->add_option("--endpoint", largs->endpoint, "toncenter v2 API")->required();
  l->add_option("--proxy-contract", largs->proxy_contract, "The proxy contract's address")->required();
  l->callback([largs] { proxy_delist(*largs); });

  auto wargs = std::make_shared<ProxyCloseArgs>();
  auto* w = wallet->add_subcommand("proxy-withdraw",
                                   "Withdraw earned commission from your proxy contract (the workers' unclaimed share "
                                   "and the stake stay)");
  w->add_option("--key", wargs->key, "The proxy owner's wallet key file")->required();
  w->add_option("--endpoint", wargs->endpoint, "toncenter v2 API")->required();
  w->add_option("--proxy-contract", wargs->proxy_contract, "The proxy contract's address")->required();
  w->add_option("--amount", wargs->amount, "TON to withdraw, or 'all' (what the contract allows now)")->required();
  w->callback([wargs] { proxy_withdraw(*wargs); });
}

}  // namespace chrysalis::cli
