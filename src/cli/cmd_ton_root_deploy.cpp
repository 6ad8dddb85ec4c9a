// `chrysalis ton root deploy`: starts a network on any TON chain (testnet, mainnet, a devnet): the
// root contract, with the contracts compiled from contracts/ (`cd contracts && npm run build`),
// owned by the wallet that deploys it, with the given prices and params and empty allow-lists
// (fill them with `ton root add-image|add-model`). Prints the root's address and registry.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/chain_client.h"
#include "cli/commands.h"
#include "cli/confirm.h"
#include "common/json_bounded.h"
#include "ton/cells/boc.h"
#include "ton/contracts/contract_init.h"
#include "ton/contracts/root_registry.h"
#include "ton/wallet/ton_amount.h"
#include "ton/wallet/wallet_key_file.h"
#include "ton/wallet/wallet_sender.h"

namespace chrysalis::cli {

namespace {

namespace fs = std::filesystem;
namespace contracts = ton::contracts;

struct DeployArgs {
  std::string key, endpoint, api_key, codes_dir = "contracts/build", value = "1";
  uint64_t price_per_token = 2, worker_fee_per_token = 1;
  uint32_t prompt_mult = 10000, cached_mult = 10000, completion_mult = 10000, reasoning_mult = 10000;
  uint32_t proxy_delay_s = 7200, client_delay_s = 3600;
  std::string min_proxy_stake = "1", min_client_stake = "1";
  bool yes = false;
};

// contracts/build/NAME.json as the contracts' compile script writes it: {"codeBoc64": ...}.
ton::CellRef compiled_code(const fs::path& dir, const std::string& name) {
  fs::path file = dir / (name + ".json");
  std::ifstream in(file);
  if (!in) throw usage(file.string() + " is missing: build the contracts first (cd contracts && npm run build)");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto json = parse_json_bounded(text).value;
  if (!json.is_object() || !json.contains("codeBoc64") || !json["codeBoc64"].is_string())
    throw usage(file.string() + " has no codeBoc64: rebuild the contracts");
  return ton::boc_from_base64(json["codeBoc64"].get<std::string>());
}

int deploy(const DeployArgs& a) {
  contracts::ContractParams p;
  p.params_version = 1;
  p.price_per_token = a.price_per_token;
  p.worker_fee_per_token = a.worker_fee_per_token;
  p.prompt_mult = a.prompt_mult;
  p.cached_mult = a.cached_mult;
  p.completion_mult = a.completion_mult;
  p.reasoning_mult = a.reasoning_mult;
  p.proxy_delay_before_close = a.proxy_delay_s;
  p.client_delay_before_close = a.client_delay_s;
  p.min_proxy_stake = ton::parse_ton_amount(a.min_proxy_stake, "--min-proxy-stake", true);
  p.min_client_stake = ton::parse_ton_amount(a.min_client_stake, "--min-client-stake", true);
  if (p.worker_fee_per_token > p.price_per_token)
    throw usage("--worker-fee-per-token must not exceed --price-per-token (the proxy pays workers from what clients pay)");
  if (p.client_delay_before_close > p.proxy_delay_before_close)
    throw usage("--client-delay-before-close must not exceed --proxy-delay-before-close");
  uint64_t value = ton::parse_ton_amount(a.value, "--value");
  contracts::ChildCodes codes{compiled_code(a.codes_dir, "proxy"), compiled_code(a.codes_dir, "client"),
                              compiled_code(a.codes_dir, "worker")};
  auto root_code = compiled_code(a.codes_dir, "root");
  ton::WalletKeyFile key;
  try {
    key = ton::load_wallet_key(a.key);
  } catch (const std::exception& e) {
    throw usage(std::string("--key: ") + e.what());
  }
  const auto wallet = key.wallet();
  ton::StateInit init{root_code, contracts::root_init_data(wallet.address(), contracts::build_params_cell(p), codes)};
  auto root = ton::contract_address(0, init);
  nlohmann::json plan = {{"root", root.to_friendly()},
                         {"owner", wallet.address().to_friendly()},
                         {"params", p.to_json()},
                         {"root_code_hash", root_code->hash_hex()},
                         {"proxy_code_hash", codes.proxy->hash_hex()},
                         {"client_code_hash", codes.client->hash_hex()},
                         {"worker_code_hash", codes.worker->hash_hex()},
                         {"value_ton", ton::format_ton(value)}};
  if (!confirmed("A root contract will be deployed:", plan, "Deploy it from this wallet?", a.yes))
    throw std::runtime_error("declined: nothing sent");
  boost::asio::io_context io;
  auto client = make_chain_client(io, a.endpoint, a.api_key);
  return run_chain_task(io, [&]() -> boost::asio::awaitable<nlohmann::json> {
    const std::string raw = root.to_raw();
    std::string state = co_await client->get_address_state(raw);
    if (state == "active")
      throw std::runtime_error("a root with exactly this code, owner and params is already deployed at " +
                               root.to_friendly());
    auto body = ton::CellBuilder().end_cell();
    std::vector<ton::WalletOutMessage> messages{ton::bounceable_message(root, value, body, init)};
    co_await ton::send_and_wait(*client, key.key, wallet, messages);
    auto registry = co_await contracts::read_root_registry(*client, root);
    nlohmann::json out = {{"root", root.to_friendly()}, {"root_raw", raw}, {"registry", registry.to_json()}};
    co_return out;
  });
}

}  // namespace

void register_ton_root_deploy_command(CLI::App& app) {
  CLI::App* root = nullptr;
  for (auto* ton : app.get_subcommands([](CLI::App* s) { return s->get_name() == "ton"; }))
    for (auto* sub : ton->get_subcommands([](CLI::App* s) { return s->get_name() == "root"; })) root = sub;
  if (!root) throw std::logic_error("register_ton_chain_commands must run first");
  auto a = std::make_shared<DeployArgs>();
  auto* cmd = root->add_subcommand("deploy", "deploy a new network's root contract, owned by this wallet");
  cmd->add_option("--key", a->key, "the owner's wallet key file (pays for the deployment)")->required();
  cmd->add_option("--endpoint", a->endpoint, "toncenter v2 API")->required();
  cmd->add_option("--api-key", a->api_key, "toncenter API key (X-API-Key)");
  cmd->add_option("--codes", a->codes_dir, "folder with the compiled contracts (root/proxy/client/worker .json)")
      ->capture_default_str();
  cmd->add_option("--value", a->value, "TON sent with the deployment (the root's gas fund)")->capture_default_str();
  cmd->add_option("--price-per-token", a->price_per_token, "nanoTON a client pays per token")->capture_default_str();
  cmd->add_option("--worker-fee-per-token", a->worker_fee_per_token, "nanoTON a worker earns per token")
      ->capture_default_str();
  cmd->add_option("--prompt-mult", a->prompt_mult, "10000 = 1.0x")->capture_default_str();
  cmd->add_option("--cached-mult", a->cached_mult)->capture_default_str();
  cmd->add_option("--completion-mult", a->completion_mult)->capture_default_str();
  cmd->add_option("--reasoning-mult", a->reasoning_mult)->capture_default_str();
  cmd->add_option("--proxy-delay-before-close", a->proxy_delay_s, "seconds")->capture_default_str();
  cmd->add_option("--client-delay-before-close", a->client_delay_s, "seconds")->capture_default_str();
  cmd->add_option("--min-proxy-stake", a->min_proxy_stake, "TON")->capture_default_str();
  cmd->add_option("--min-client-stake", a->min_client_stake, "TON")->capture_default_str();
  cmd->add_flag("--yes", a->yes, "deploy without asking");
  cmd->callback([a] { std::exit(deploy(*a)); });
}

}  // namespace chrysalis::cli
