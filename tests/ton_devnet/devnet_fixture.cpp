#include "devnet_fixture.h"
#include "ton/wallet/wallet_sender.h"

#include <boost/asio/steady_timer.hpp>

#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "http/http_client.h"
#include "ton/cells/boc.h"
#include "ton/cells/encoding.h"

namespace chrysalis::ton::devnet_test {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

Devnet start_devnet() {
  Devnet net;
  net.dir = fs::temp_directory_path() / ("chrysalis-devnet-test-" + std::to_string(getpid()));
  fs::create_directories(net.dir);
  DevnetOptions options;
  options.port = 0;  // any free port
  options.host = "127.0.0.1";
  options.snapshot = net.dir / "devnet.json";
  options.reset = true;
  // Compiling the contracts with tolk-js and deploying takes a while on a loaded machine.
  net.process = DevnetProcess::start(options, std::chrono::seconds(240),
                                     [](const std::string& line) { std::cerr << "[devnet] " << line << "\n"; });
  net.base_url = net.process->listening().base_url();
  net.root = Address::parse(net.process->listening().root);
  asio::io_context io;
  auto response =
      run_sync(io, http::http_get(io.get_executor(), net.base_url + "/devnet/info", std::chrono::seconds(30)));
  if (!response.ok() || response.status != 200)
    throw std::runtime_error("GET /devnet/info failed: " + response.message);
  net.info = nlohmann::json::parse(response.body).at("result");
  return net;
}

}  // namespace

Devnet& shared_devnet() {
  static Devnet net = start_devnet();
  static struct Cleanup {
    ~Cleanup() {
      net.process->stop();
      std::error_code ec;
      fs::remove_all(net.dir, ec);
    }
  } cleanup;
  return net;
}

DevWallet dev_wallet(const Devnet& net, const std::string& name) {
  const auto& w = net.info.at("wallets").at(name);
  DevWallet out;
  out.name = name;
  out.address = Address::parse(w.at("address").get<std::string>());
  out.key = std::make_unique<Ed25519Key>(Ed25519Key::from_seed(from_hex(w.at("secretKey").get<std::string>())));
  out.wallet = std::make_unique<WalletV4R2>(out.key->public_key());
  if (!(out.wallet->address() == out.address))
    throw std::runtime_error("devnet wallet " + name + ": C++ v4r2 address differs");
  return out;
}

WalletOutMessage message_to(const Address& dest, uint64_t value, CellRef body, std::optional<StateInit> init) {
  WalletOutMessage m;
  m.message.dest = dest;
  m.message.value = value;
  m.message.bounce = true;
  m.message.body = std::move(body);
  m.message.state_init = std::move(init);
  m.send_mode = send_mode::kPayFeesSeparately;
  return m;
}

asio::awaitable<Transaction> send_and_wait(ToncenterClient& client, const DevWallet& from,
                                           std::vector<WalletOutMessage> messages) {
  auto info = co_await client.get_wallet_information(from.address.to_raw());
  if (!info.wallet) throw std::runtime_error(from.name + " is not a wallet on the devnet");
  co_return co_await ton::send_and_wait(client, *from.key, *from.wallet, std::move(messages));
}

asio::awaitable<AccountFlow> account_flow(ToncenterClient& client, const Address& account, uint64_t after_lt) {
  AccountFlow flow;
  flow.transactions = co_await client.get_transactions(account.to_raw(), 256, std::nullopt, after_lt);
  for (const auto& tx : flow.transactions) {
    if (tx.in_msg) flow.net += static_cast<int64_t>(tx.in_msg->value);
    for (const auto& out : tx.out_msgs) flow.net -= static_cast<int64_t>(out.value + out.fwd_fee + out.ihr_fee);
    flow.net -= static_cast<int64_t>(tx.fee);
    flow.fees += tx.fee;
  }
  co_return flow;
}

}  // namespace chrysalis::ton::devnet_test
