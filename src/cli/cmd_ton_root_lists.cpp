// `chrysalis ton root allow|disallow --list proxy-image|worker-image|model --hash H`: the root
// contract's owner edits the network's allow-lists. Nodes reading the registry pick the change up
// at their next refresh (and drop live peers it no longer admits). Prints the registry afterwards.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <iostream>

#include "cli/chain_client.h"
#include "cli/commands.h"
#include "common/hex.h"
#include "ton/contracts/contract_messages.h"
#include "ton/contracts/root_registry.h"
#include "ton/wallet/wallet_key_file.h"
#include "ton/wallet/wallet_sender.h"

namespace chrysalis::cli {

namespace {

struct RootListArgs {
  std::string key, endpoint, address, list, hash;
};

// Gas for the root; what it does not use stays on the root (the owner's network fund).
constexpr uint64_t kRootMessageValue = 100'000'000;  // 0.1 TON

ton::CellRef body_for(bool allow, const std::string& list, const ton::Hash256& hash) {
  namespace body = ton::contracts::root_body;
  if (list == "proxy-image") return allow ? body::add_proxy_image_hash(hash) : body::del_proxy_image_hash(hash);
  if (list == "worker-image") return allow ? body::add_worker_image_hash(hash) : body::del_worker_image_hash(hash);
  return allow ? body::add_model_hash(hash) : body::del_model_hash(hash);
}

const std::vector<ton::Hash256>& list_of(const ton::contracts::RootRegistry& r, const std::string& list) {
  if (list == "proxy-image") return r.proxy_image_hashes;
  if (list == "worker-image") return r.worker_image_hashes;
  return r.model_hashes;
}

int run(bool allow, const RootListArgs& a) {
  auto usage = [](const std::string& m) { return CLI::RuntimeError(m, 2); };
  ton::Hash256 hash{};
  try {
    auto bytes = from_hex(a.hash);
    if (bytes.size() != hash.size()) throw std::invalid_argument("not 32 bytes");
    std::copy(bytes.begin(), bytes.end(), hash.begin());
  } catch (const std::invalid_argument&) {
    throw usage("--hash: expected 64 hex characters (a SHA-256)");
  }
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
  auto client = make_chain_client(io, a.endpoint);
  return run_chain_task(io, [&]() -> boost::asio::awaitable<nlohmann::json> {
    auto before = co_await ton::contracts::read_root_registry(*client, root);
    const auto wallet = key.wallet();
    if (!(before.owner == wallet.address()))
      throw std::runtime_error("this wallet (" + wallet.address().to_friendly() + ") is not the root's owner (" +
                               before.owner.to_friendly() + ")");
    std::vector<ton::WalletOutMessage> messages{
        ton::bounceable_message(root, kRootMessageValue, body_for(allow, a.list, hash))};
    co_await ton::send_and_wait(*client, key.key, wallet, messages);
    auto after = co_await ton::contracts::read_root_registry(*client, root);
    const auto& hashes = list_of(after, a.list);
    bool listed = std::find(hashes.begin(), hashes.end(), hash) != hashes.end();
    if (listed != allow)
      throw std::runtime_error("the root refused the change (was the hash " + std::string(allow ? "already" : "not") +
                               " listed?): " + a.list + " " + a.hash + " is " + (listed ? "" : "not ") + "listed");
    co_return after.to_json();
  });
}

}  // namespace

void register_ton_root_list_commands(CLI::App& app) {
  CLI::App* root = nullptr;
  for (auto* ton : app.get_subcommands([](CLI::App* s) { return s->get_name() == "ton"; }))
    for (auto* sub : ton->get_subcommands([](CLI::App* s) { return s->get_name() == "root"; })) root = sub;
  if (!root) throw std::logic_error("register_ton_chain_commands must run first");
  for (bool allow : {true, false}) {
    auto args = std::make_shared<RootListArgs>();
    auto* cmd = root->add_subcommand(allow ? "allow" : "disallow",
                                     allow ? "add a hash to one of the root's allow-lists (owner only)"
                                           : "remove a hash from one of the root's allow-lists (owner only)");
    cmd->add_option("--key", args->key, "the root owner's wallet key file")->required();
    cmd->add_option("--endpoint", args->endpoint, "toncenter v2 API")->required();
    cmd->add_option("--address", args->address, "root contract address")->required();
    cmd->add_option("--list", args->list, "proxy-image | worker-image | model")
        ->required()
        ->check(CLI::IsMember({"proxy-image", "worker-image", "model"}));
    cmd->add_option("--hash", args->hash, "SHA-256 (64 hex)")->required();
    cmd->callback([allow, args] { std::exit(run(allow, *args)); });
  }
}

}  // namespace chrysalis::cli
