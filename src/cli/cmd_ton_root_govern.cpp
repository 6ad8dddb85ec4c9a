// `chrysalis ton root add-image|remove-image|add-model|remove-model|set-prices|set-params|add-proxy|
// remove-proxy|transfer-owner` (and `allow|disallow --list`, the older spelling of the first four): the root contract's owner governs the network. Each command reads
// the root, refuses unless this wallet owns it, prints the change (before → after), asks for
// confirmation unless --yes, sends it signed by the owner's wallet, reads the root again and
// checks that the change took effect. Nodes pick changes up at their next registry refresh.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <optional>

#include "cli/chain_client.h"
#include "cli/commands.h"
#include "cli/confirm.h"
#include "common/endpoint.h"
#include "common/hex.h"
#include "ton/cells/encoding.h"
#include "ton/contracts/contract_messages.h"
#include "ton/contracts/root_registry.h"
#include "ton/wallet/ton_amount.h"
#include "ton/wallet/wallet_key_file.h"
#include "ton/wallet/wallet_sender.h"

namespace chrysalis::cli {

namespace {

namespace contracts = ton::contracts;
using contracts::RootRegistry;

// Gas for the root; what it does not use comes back to the owner.
constexpr uint64_t kRootMessageValue = 100'000'000;  // 0.1 TON

struct GovernArgs {
  std::string key, endpoint, address, api_key;
  bool yes = false;
  // the change
  std::string role, hash, public_key, workers, clients, new_owner;
  uint32_t seqno = 0;
  std::optional<uint64_t> price_per_token, worker_fee_per_token;
  std::optional<uint32_t> prompt_mult, cached_mult, completion_mult, reasoning_mult;
  std::optional<uint32_t> proxy_delay_s, client_delay_s;
  std::string min_proxy_stake, min_client_stake;  // TON
};

ton::Hash256 parse_hash(const std::string& text, const std::string& option) {
  ton::Hash256 out{};
  std::vector<uint8_t> bytes;
  try {
    bytes = from_hex(text);
  } catch (const std::invalid_argument&) {
  }
  if (bytes.size() != out.size()) throw usage(option + ": expected 64 hex characters");
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

// One governance change: the body to send, what it changes (for the operator) and how to tell
// from the root read afterwards that it took effect.
struct Change {
  ton::CellRef body;
  nlohmann::json description;
  std::function<bool(const RootRegistry& after)> took_effect;
};

using ChangeMaker = std::function<Change(const GovernArgs&, const RootRegistry& before)>;

bool contains(const std::vector<ton::Hash256>& list, const ton::Hash256& h) {
  return std::find(list.begin(), list.end(), h) != list.end();
}

// `list`: proxy-image | worker-image | model.
Change hash_list_change(const GovernArgs& a, const RootRegistry& before, bool add, const std::string& list) {
  namespace body = contracts::root_body;
  auto hash = parse_hash(a.hash, "--hash");
  const bool model = list == "model";
  auto pick = [list](const RootRegistry& r) -> const std::vector<ton::Hash256>& {
    return list == "model" ? r.model_hashes : list == "proxy-image" ? r.proxy_image_hashes : r.worker_image_hashes;
  };
  if (contains(pick(before), hash) == add)
    throw std::runtime_error(list + " " + a.hash + (add ? " is already listed" : " is not listed") + ": nothing sent");
  ton::CellRef b = model ? (add ? body::add_model_hash(hash) : body::del_model_hash(hash))
                   : list == "proxy-image" ? (add ? body::add_proxy_image_hash(hash) : body::del_proxy_image_hash(hash))
                                       : (add ? body::add_worker_image_hash(hash) : body::del_worker_image_hash(hash));
  nlohmann::json d = {{"list", list}, {add ? "add" : "remove", to_hex(hash)}, {"entries_before", pick(before).size()}};
  return {b, d, [pick, hash, add](const RootRegistry& r) { return contains(pick(r), hash) == add; }};
}

Change params_change(const GovernArgs& a, const RootRegistry& before) {
  contracts::ContractParams p = before.params;
  if (a.price_per_token) p.price_per_token = *a.price_per_token;
  if (a.worker_fee_per_token) p.worker_fee_per_token = *a.worker_fee_per_token;
  if (a.prompt_mult) p.prompt_mult = *a.prompt_mult;
  if (a.cached_mult) p.cached_mult = *a.cached_mult;
  if (a.completion_mult) p.completion_mult = *a.completion_mult;
  if (a.reasoning_mult) p.reasoning_mult = *a.reasoning_mult;
  if (a.proxy_delay_s) p.proxy_delay_before_close = *a.proxy_delay_s;
  if (a.client_delay_s) p.client_delay_before_close = *a.client_delay_s;
  if (!a.min_proxy_stake.empty()) p.min_proxy_stake = ton::parse_ton_amount(a.min_proxy_stake, "--min-proxy-stake", true);
  if (!a.min_client_stake.empty())
    p.min_client_stake = ton::parse_ton_amount(a.min_client_stake, "--min-client-stake", true);
  if (p == before.params) throw std::runtime_error("these values are the root's already: nothing sent");
  // The contract refuses these; say so before spending gas.
  if (p.worker_fee_per_token > p.price_per_token)
    throw usage("the worker fee per token (" + std::to_string(p.worker_fee_per_token) +
                ") must not exceed the price per token (" + std::to_string(p.price_per_token) + ")");
  if (p.client_delay_before_close > p.proxy_delay_before_close)
    throw usage("the client close delay must not exceed the proxy close delay");
  auto was = before.params.to_json(), will = p.to_json();
  nlohmann::json changed = nlohmann::json::object();
  for (auto& [k, v] : will.items())
    if (k != "params_version" && was[k] != v) changed[k] = {{"before", was[k]}, {"after", v}};
  nlohmann::json d = {{"params", changed},
                      {"params_version", {{"before", before.params.params_version},
                                          {"after", before.params.params_version + 1}}},
                      {"note", "children embed the params: new proxy, client and worker contracts get new addresses; "
                               "running nodes move to them as the contracts' migration defines"}};
  uint32_t version = before.params.params_version;
  return {contracts::root_body::change_params(p), d, [p, version](const RootRegistry& r) {
            auto got = r.params;
            got.params_version = p.params_version;
            return got == p && r.params.params_version == version + 1;
          }};
}

Change add_proxy_change(const GovernArgs& a, const RootRegistry&) {
  contracts::ProxyEntry e;
  auto key = parse_hash(a.public_key, "--public-key");
  std::copy(key.begin(), key.end(), e.public_key.begin());
  for (auto* text : {&a.workers, &a.clients}) {
    try {
      if (parse_endpoint(*text).port == 0 || text->size() > 127) throw std::invalid_argument("host:port, ≤ 127 bytes");
    } catch (const std::exception& ex) {
      throw usage("'" + *text + "': " + ex.what());
    }
  }
  e.workers_endpoint = a.workers;
  e.clients_endpoint = a.clients;
  nlohmann::json d = {{"add_proxy", {{"public_key", a.public_key}, {"workers", a.workers}, {"clients", a.clients}}}};
  return {contracts::root_body::register_proxy(e), d, [e](const RootRegistry& r) {
            return std::any_of(r.proxies.begin(), r.proxies.end(), [&](const auto& p) { return p.entry == e; });
          }};
}

Change remove_proxy_change(const GovernArgs& a, const RootRegistry& before) {
  auto it = std::find_if(before.proxies.begin(), before.proxies.end(), [&](const auto& p) { return p.seqno == a.seqno; });
  if (it == before.proxies.end())
    throw std::runtime_error("the root lists no proxy " + std::to_string(a.seqno) + ": nothing sent");
  nlohmann::json d = {{"remove_proxy",
                       {{"seqno", a.seqno},
                        {"public_key", to_hex(it->entry.public_key)},
                        {"workers", it->entry.workers_endpoint},
                        {"clients", it->entry.clients_endpoint}}}};
  uint32_t seqno = a.seqno;
  return {contracts::root_body::unregister_proxy(seqno), d, [seqno](const RootRegistry& r) {
            return std::none_of(r.proxies.begin(), r.proxies.end(), [&](const auto& p) { return p.seqno == seqno; });
          }};
}

Change transfer_owner_change(const GovernArgs& a, const RootRegistry& before) {
  ton::Address to;
  try {
    to = ton::Address::parse(a.new_owner);
  } catch (const std::exception& e) {
    throw usage(std::string("--new-owner: ") + e.what());
  }
  if (to == before.owner) throw std::runtime_error("that wallet owns the root already: nothing sent");
  nlohmann::json d = {{"owner", {{"before", before.owner.to_friendly()}, {"after", to.to_friendly()}}},
                      {"note", "this wallet can no longer govern the root afterwards"}};
  return {contracts::root_body::change_owner(to), d, [to](const RootRegistry& r) { return r.owner == to; }};
}

int govern(const GovernArgs& a, const ChangeMaker& make) {
  ton::Address root;
  try {
    root = ton::Address::parse(a.address);
  } catch (const std::exception& e) {
    throw usage(std::string("--address: ") + e.what());
  }
  ton::WalletKeyFile key;
  try {
    key = ton::load_wallet_key(a.key);
  } catch (const std::exception& e) {
    throw usage(std::string("--key: ") + e.what());
  }
  boost::asio::io_context io;
  auto client = make_chain_client(io, a.endpoint, a.api_key);
  return run_chain_task(io, [&]() -> boost::asio::awaitable<nlohmann::json> {
    auto before = co_await contracts::read_root_registry(*client, root);
    const auto wallet = key.wallet();
    if (!(before.owner == wallet.address()))
      throw std::runtime_error("this wallet (" + wallet.address().to_friendly() + ") is not the root's owner (" +
                               before.owner.to_friendly() + "): nothing sent");
    Change change = make(a, before);
    if (!confirmed("The root will change:", change.description, "Send it, signed by the owner's wallet?", a.yes))
      throw std::runtime_error("declined: nothing sent");
    std::vector<ton::WalletOutMessage> messages{ton::bounceable_message(root, kRootMessageValue, change.body)};
    co_await ton::send_and_wait(*client, key.key, wallet, messages);
    auto after = co_await contracts::read_root_registry(*client, root);
    if (!change.took_effect(after))
      throw std::runtime_error("the root refused the change (version stays " + std::to_string(after.version) +
                               "): " + change.description.dump());
    nlohmann::json out = {{"changed", change.description},
                          {"version", {{"before", before.version}, {"after", after.version}}},
                          {"root", after.to_json()}};
    co_return out;
  });
}

CLI::App* add_command(CLI::App* root, const std::string& name, const std::string& help,
                      std::shared_ptr<GovernArgs> args, ChangeMaker make) {
  auto* cmd = root->add_subcommand(name, help + " (owner only)");
  cmd->add_option("--key", args->key, "the root owner's wallet key file")->required();
  cmd->add_option("--endpoint", args->endpoint, "toncenter v2 API")->required();
  cmd->add_option("--address", args->address, "root contract address")->required();
  cmd->add_option("--api-key", args->api_key, "toncenter API key (X-API-Key)");
  cmd->add_flag("--yes", args->yes, "send without asking");
  cmd->callback([args, make] { std::exit(govern(*args, make)); });
  return cmd;
}

}  // namespace

void register_ton_root_govern_commands(CLI::App& app) {
  CLI::App* root = nullptr;
  for (auto* ton : app.get_subcommands([](CLI::App* s) { return s->get_name() == "ton"; }))
    for (auto* sub : ton->get_subcommands([](CLI::App* s) { return s->get_name() == "root"; })) root = sub;
  if (!root) throw std::logic_error("register_ton_chain_commands must run first");

  for (bool add : {true, false}) {
    auto args = std::make_shared<GovernArgs>();
    auto* img = add_command(root, add ? "add-image" : "remove-image",
                            add ? "allow a proxy or worker image (its measurement hash)" : "stop allowing an image",
                            args, [add](const GovernArgs& a, const RootRegistry& r) {
                              return hash_list_change(a, r, add, a.role + "-image");
                            });
    img->add_option("--role", args->role, "proxy | worker")->required()->check(CLI::IsMember({"proxy", "worker"}));
    img->add_option("--hash", args->hash, "image hash (64 hex)")->required();

    auto margs = std::make_shared<GovernArgs>();
    auto* model = add_command(root, add ? "add-model" : "remove-model",
                              add ? "allow a model (the SHA-256 of its weights file: chrysalis attest model-hash)"
                                  : "stop allowing a model",
                              margs, [add](const GovernArgs& a, const RootRegistry& r) {
                                return hash_list_change(a, r, add, "model");
                              });
    model->add_option("--hash", margs->hash, "model hash (64 hex)")->required();
  }

  // The older spelling, kept for scripts: no confirmation asked.
  for (bool add : {true, false}) {
    auto largs = std::make_shared<GovernArgs>();
    largs->yes = true;
    auto* list = add_command(root, add ? "allow" : "disallow",
                             add ? "add a hash to one of the root's allow-lists" : "remove a hash from one of the root's allow-lists",
                             largs, [add](const GovernArgs& a, const RootRegistry& r) {
                               return hash_list_change(a, r, add, a.role);
                             });
    list->add_option("--list", largs->role, "proxy-image | worker-image | model")
        ->required()
        ->check(CLI::IsMember({"proxy-image", "worker-image", "model"}));
    list->add_option("--hash", largs->hash, "SHA-256 (64 hex)")->required();
  }

  auto pargs = std::make_shared<GovernArgs>();
  auto* prices = add_command(root, "set-prices", "change what clients pay and workers earn per token", pargs,
                             params_change);
  prices->add_option("--price-per-token", pargs->price_per_token, "nanoTON a client pays per adjusted token");
  prices->add_option("--worker-fee-per-token", pargs->worker_fee_per_token, "nanoTON a worker earns per adjusted token");
  prices->add_option("--prompt-mult", pargs->prompt_mult, "prompt token weight, 10000 = 1.0x");
  prices->add_option("--cached-mult", pargs->cached_mult, "cached prompt token weight");
  prices->add_option("--completion-mult", pargs->completion_mult, "completion token weight");
  prices->add_option("--reasoning-mult", pargs->reasoning_mult, "reasoning token weight");

  auto sargs = std::make_shared<GovernArgs>();
  auto* params = add_command(root, "set-params", "change the contracts' close delays and minimum stakes", sargs,
                             params_change);
  params->add_option("--proxy-delay-before-close", sargs->proxy_delay_s, "seconds a closing proxy contract waits");
  params->add_option("--client-delay-before-close", sargs->client_delay_s, "seconds a closing client contract waits");
  params->add_option("--min-proxy-stake", sargs->min_proxy_stake, "TON a proxy contract must hold as stake");
  params->add_option("--min-client-stake", sargs->min_client_stake, "TON a client contract must hold as stake");

  auto aargs = std::make_shared<GovernArgs>();
  auto* add_proxy = add_command(root, "add-proxy", "list a proxy by its TEE key and endpoints", aargs, add_proxy_change);
  add_proxy->add_option("--public-key", aargs->public_key, "the proxy's TLS/TEE public key (64 hex)")->required();
  add_proxy->add_option("--workers", aargs->workers, "host:port workers dial")->required();
  add_proxy->add_option("--clients", aargs->clients, "host:port clients dial")->required();

  auto rargs = std::make_shared<GovernArgs>();
  auto* remove_proxy =
      add_command(root, "remove-proxy", "take a proxy off the list (self-listed ones too)", rargs, remove_proxy_change);
  remove_proxy->add_option("--seqno", rargs->seqno, "the entry's number (ton root show)")->required();

  auto targs = std::make_shared<GovernArgs>();
  auto* transfer = add_command(root, "transfer-owner", "hand the root to another wallet", targs, transfer_owner_change);
  transfer->add_option("--new-owner", targs->new_owner, "the new owner's wallet address")->required();
}

}  // namespace chrysalis::cli
