// End to end on the local devnet, from C++: a proxy contract, a client contract and a worker
// contract deployed through v4r2 wallets, a proxy-signed cumulative charge and payout built
// here, balances and counters read back through get-methods and checked to the nanoTON.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>

#include "devnet_fixture.h"
#include "ton/cells/boc.h"
#include "ton/cells/encoding.h"
#include "ton/contracts/chrysalis_contracts.h"
#include "ton/contracts/contract_get_methods.h"

using namespace chrysalis::ton;
using namespace chrysalis::ton::contracts;
using namespace chrysalis::ton::devnet_test;

namespace {

constexpr uint64_t kTon = 1'000'000'000;

bool is_bounce(const TxMessage& m) {
  if (m.body.size() < 4) return false;
  auto cell = deserialize_boc_single(std::span(reinterpret_cast<const uint8_t*>(m.body.data()), m.body.size()));
  CellSlice s(cell);
  return s.remaining_bits() >= 32 && s.load_uint(32) == 0xffffffffu;
}

class TonDevnetChain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    devnet = &shared_devnet();
    ToncenterOptions options;
    options.endpoint = devnet->process->listening().endpoint;
    options.timeout = std::chrono::seconds(60);
    client = std::make_unique<ToncenterClient>(io.get_executor(), options);
    registry = run_sync(io, read_root_registry(*client, devnet->root));
  }
  static void TearDownTestSuite() { client.reset(); }

  static inline Devnet* devnet = nullptr;
  static inline boost::asio::io_context io;
  static inline std::unique_ptr<ToncenterClient> client;
  static inline RootRegistry registry;
};

TEST_F(TonDevnetChain, RootRegistryMatchesDevnetConfig) {
  // devnet/config.json: price 2, fee 1, multipliers 1.0x, delays 7200/3600, stakes 1 TON.
  EXPECT_EQ(registry.params.price_per_token, 2u);
  EXPECT_EQ(registry.params.worker_fee_per_token, 1u);
  EXPECT_EQ(registry.params.prompt_mult, 10000u);
  EXPECT_EQ(registry.params.proxy_delay_before_close, 7200u);
  EXPECT_EQ(registry.params.client_delay_before_close, 3600u);
  EXPECT_EQ(registry.params.min_proxy_stake, kTon);
  EXPECT_EQ(registry.params.min_client_stake, kTon);
  EXPECT_EQ(registry.owner, dev_wallet(*devnet, "root-owner").address);
  EXPECT_EQ(parse_params_cell(registry.params_cell), registry.params);
  // The root's own derivation agrees with the C++ one.
  auto owner = dev_wallet(*devnet, "proxy-1").address;
  auto key = Ed25519Key::from_seed(std::vector<uint8_t>(32, 0x51));
  TvmStack args{
      address_argument(owner),
      TvmStackEntry::number(TvmInt::from_bytes(std::string(key.public_key().begin(), key.public_key().end())))};
  auto r = run_sync(io, run_get_method_checked(*client, devnet->root, "get_proxy_contract_address", args));
  EXPECT_EQ(StackReader({"get_proxy_contract_address", r.stack}).address(0),
            registry.network().proxy_address(owner, key.public_key()));
}

TEST_F(TonDevnetChain, ChargeAndPayoutSettleToTheNanoton) {
  auto net = registry.network();
  auto proxy_wallet = dev_wallet(*devnet, "proxy-1");
  auto client_wallet = dev_wallet(*devnet, "client-1");
  auto worker_wallet = dev_wallet(*devnet, "worker-1");
  auto proxy_key = Ed25519Key::from_seed(std::vector<uint8_t>(32, 0x77));  // the proxy's TEE key
  const auto pub = proxy_key.public_key();
  const auto& price = registry.params.price_per_token;
  const auto& fee = registry.params.worker_fee_per_token;

  // 1. Proxy contract, deployed with its stake.
  const uint64_t stake = 2 * kTon;
  auto proxy_init = net.proxy_state_init(proxy_wallet.address, pub);
  auto proxy = contract_address(0, proxy_init);
  run_sync(io, send_and_wait(*client, proxy_wallet,
                             {message_to(proxy, stake + kTon / 10, proxy_body::add_stake(stake, 1), proxy_init)}));
  auto pd = run_sync(io, read_proxy_data(*client, proxy));
  EXPECT_EQ(pd.stake, stake);
  EXPECT_EQ(pd.balance, 0u);
  EXPECT_EQ(pd.public_key, pub);
  EXPECT_EQ(pd.owner, proxy_wallet.address);

  // 2. Client contract, deployed with a top-up; worker contract, deployed with an empty body.
  const uint64_t deposit = 5 * kTon;
  auto client_init = net.client_state_init(client_wallet.address, proxy, pub);
  auto client_contract = contract_address(0, client_init);
  run_sync(io, send_and_wait(
                   *client, client_wallet,
                   {message_to(client_contract, deposit + kTon / 10, client_body::top_up(deposit, 2), client_init)}));
  auto worker_init = net.worker_state_init(worker_wallet.address, proxy, pub);
  auto worker_contract = contract_address(0, worker_init);
  run_sync(io,
           send_and_wait(*client, worker_wallet, {message_to(worker_contract, kTon / 10, Cell::empty(), worker_init)}));

  auto cd = run_sync(io, read_client_data(*client, client_contract));
  EXPECT_EQ(cd.balance, deposit);
  EXPECT_EQ(cd.stake, 0u);
  EXPECT_EQ(cd.tokens_used, 0u);
  EXPECT_EQ(cd.proxy, proxy);
  EXPECT_EQ(cd.root, devnet->root);
  auto wd = run_sync(io, read_worker_data(*client, worker_contract));
  EXPECT_EQ(wd.tokens, 0u);
  EXPECT_EQ(wd.owner, worker_wallet.address);
  // The proxy contract derives the same child addresses.
  {
    auto r = run_sync(
        io, run_get_method_checked(*client, proxy, "get_client_address", {address_argument(client_wallet.address)}));
    EXPECT_EQ(StackReader({"get_client_address", r.stack}).address(0), client_contract);
  }

  // 3. A proxy-signed cumulative charge, submitted by the proxy's wallet.
  const uint64_t charged_tokens = 123'456;
  auto submitter_before = run_sync(io, client->get_address_information(proxy_wallet.address.to_raw()));
  run_sync(io, send_and_wait(
                   *client, proxy_wallet,
                   {message_to(client_contract, kTon / 10,
                               client_body::charge(client_contract, devnet->root, charged_tokens, proxy_key, 3))}));
  const uint64_t client_lt_after_charge =
      run_sync(io, client->get_address_information(client_contract.to_raw())).last_transaction.lt;
  cd = run_sync(io, read_client_data(*client, client_contract));
  EXPECT_EQ(cd.tokens_used, charged_tokens);
  EXPECT_EQ(cd.balance, deposit - charged_tokens * price);
  pd = run_sync(io, read_proxy_data(*client, proxy));
  EXPECT_EQ(pd.client_tokens, charged_tokens);
  EXPECT_EQ(pd.balance, charged_tokens * price);
  EXPECT_EQ(pd.stake, stake);
  // The submitter's wallet: its balance moved by exactly what its transactions say
  // (value out, forwarding and transaction fees, the excess coming back).
  {
    auto flow = run_sync(io, account_flow(*client, proxy_wallet.address, submitter_before.last_transaction.lt));
    auto after = run_sync(io, client->get_address_information(proxy_wallet.address.to_raw()));
    EXPECT_GE(flow.transactions.size(), 2u);  // the transfer and the excess coming back
    EXPECT_EQ(static_cast<int64_t>(after.balance) - static_cast<int64_t>(submitter_before.balance), flow.net);
    EXPECT_GT(flow.fees, 0u);
  }

  // 4. A proxy-signed cumulative payout, submitted by the worker's wallet; the worker's owner is paid
  //    Δtokens × worker_fee_per_token in a payout message.
  const uint64_t paid_tokens = 100'000;
  auto worker_before = run_sync(io, client->get_address_information(worker_wallet.address.to_raw()));
  run_sync(io,
           send_and_wait(*client, worker_wallet,
                         {message_to(worker_contract, kTon / 10,
                                     worker_body::payout(worker_contract, devnet->root, paid_tokens, proxy_key, 4))}));
  wd = run_sync(io, read_worker_data(*client, worker_contract));
  EXPECT_EQ(wd.tokens, paid_tokens);
  pd = run_sync(io, read_proxy_data(*client, proxy));
  EXPECT_EQ(pd.worker_tokens, paid_tokens);
  EXPECT_EQ(pd.balance, charged_tokens * price - paid_tokens * fee);
  EXPECT_EQ(pd.stake, stake);
  EXPECT_EQ(run_sync(io, read_proxy_withdrawable(*client, proxy)),
            charged_tokens * price - paid_tokens * fee - (charged_tokens - paid_tokens) * fee);
  {
    auto flow = run_sync(io, account_flow(*client, worker_wallet.address, worker_before.last_transaction.lt));
    auto after = run_sync(io, client->get_address_information(worker_wallet.address.to_raw()));
    EXPECT_EQ(static_cast<int64_t>(after.balance) - static_cast<int64_t>(worker_before.balance), flow.net);
    // Exactly one payout message carrying exactly the earned amount.
    int payouts = 0;
    for (const auto& tx : flow.transactions) {
      if (!tx.in_msg || tx.in_msg->body.empty()) continue;
      auto body = deserialize_boc_single(
          std::span(reinterpret_cast<const uint8_t*>(tx.in_msg->body.data()), tx.in_msg->body.size()));
      auto decoded = decode_body(body);
      if (decoded.op == op::kPayout) {
        ++payouts;
        EXPECT_EQ(tx.in_msg->value, paid_tokens * fee);
        EXPECT_EQ(Address::parse(tx.in_msg->source), proxy);
      }
    }
    EXPECT_EQ(payouts, 1);
  }

  // 5. Refusals: a replayed charge and a lower one change nothing and bounce to the submitter.
  for (uint64_t tokens : {charged_tokens, charged_tokens - 1000}) {
    auto before = run_sync(io, client->get_address_information(client_wallet.address.to_raw()));
    run_sync(io, send_and_wait(*client, client_wallet,
                               {message_to(client_contract, kTon / 10,
                                           client_body::charge(client_contract, devnet->root, tokens, proxy_key, 5))}));
    auto cd2 = run_sync(io, read_client_data(*client, client_contract));
    EXPECT_EQ(cd2.tokens_used, charged_tokens) << tokens;
    EXPECT_EQ(cd2.balance, deposit - charged_tokens * price) << tokens;
    auto pd2 = run_sync(io, read_proxy_data(*client, proxy));
    EXPECT_EQ(pd2.client_tokens, charged_tokens) << tokens;
    EXPECT_EQ(pd2.balance, charged_tokens * price - paid_tokens * fee) << tokens;
    auto flow = run_sync(io, account_flow(*client, client_wallet.address, before.last_transaction.lt));
    bool bounced = false;
    for (const auto& tx : flow.transactions) bounced = bounced || (tx.in_msg && is_bounce(*tx.in_msg));
    EXPECT_TRUE(bounced) << "charge of " << tokens << " was not bounced";
    auto after = run_sync(io, client->get_address_information(client_wallet.address.to_raw()));
    EXPECT_EQ(static_cast<int64_t>(after.balance) - static_cast<int64_t>(before.balance), flow.net);
  }
  // A charge signed for the worker contract is refused by the client contract (wrong target).
  run_sync(io,
           send_and_wait(
               *client, client_wallet,
               {message_to(client_contract, kTon / 10,
                           client_body::charge(worker_contract, devnet->root, charged_tokens + 10, proxy_key, 6))}));
  EXPECT_EQ(run_sync(io, read_client_data(*client, client_contract)).tokens_used, charged_tokens);

  // 6. Coins held: a successful message leaves a contract with exactly accounted funds + the storage
  //    reserve (everything else goes back as excess); refused ones only take their storage fee from it.
  auto client_ton = run_sync(io, client->get_address_balance(client_contract.to_raw()));
  auto refused = run_sync(io, account_flow(*client, client_contract, client_lt_after_charge));
  uint64_t storage_since = 0;
  for (const auto& tx : refused.transactions) storage_since += tx.storage_fee;
  EXPECT_EQ(refused.transactions.size(), 3u);
  EXPECT_EQ(client_ton + storage_since, deposit - charged_tokens * price + kStorageReserve);
  auto proxy_ton = run_sync(io, client->get_address_balance(proxy.to_raw()));
  EXPECT_EQ(proxy_ton, stake + charged_tokens * price - paid_tokens * fee + kStorageReserve);
}

TEST_F(TonDevnetChain, OwnerMessagesChangeTheRegistry) {
  // Root owner messages built in C++: a model hash, a proxy image hash and a proxy registration.
  auto owner = dev_wallet(*devnet, "root-owner");
  Hash256 model{}, image{};
  model.fill(0x4d);
  image.fill(0x1a);
  ProxyEntry entry{Ed25519Key::from_seed(std::vector<uint8_t>(32, 0x77)).public_key(), "127.0.0.1:11001",
                   "127.0.0.1:11002"};
  auto before = run_sync(io, read_root_registry(*client, devnet->root));
  run_sync(io, send_and_wait(*client, owner,
                             {message_to(devnet->root, kTon / 10, root_body::add_model_hash(model, 31)),
                              message_to(devnet->root, kTon / 10, root_body::add_proxy_image_hash(image, 32)),
                              message_to(devnet->root, kTon / 10, root_body::register_proxy(entry, 33))}));
  auto after = run_sync(io, read_root_registry(*client, devnet->root));
  EXPECT_EQ(after.version, before.version + 3);
  EXPECT_EQ(after.model_hashes, std::vector<Hash256>{model});
  EXPECT_EQ(after.proxy_image_hashes, std::vector<Hash256>{image});
  ASSERT_EQ(after.proxies.size(), 1u);
  EXPECT_EQ(after.proxies[0].seqno, before.last_proxy_seqno + 1);
  EXPECT_EQ(after.proxies[0].entry, entry);
  // Not the owner: refused, nothing changes.
  run_sync(io, send_and_wait(*client, dev_wallet(*devnet, "client-2"),
                             {message_to(devnet->root, kTon / 10, root_body::del_model_hash(model, 34))}));
  auto unchanged = run_sync(io, read_root_registry(*client, devnet->root));
  EXPECT_EQ(unchanged.version, after.version);
  EXPECT_EQ(unchanged.model_hashes, after.model_hashes);
}

TEST(TonDevnetClient, RetriesConnectionErrorsWithBackoffThenReports) {
  // A port nothing listens on: every try is refused; the client tries max_attempts times.
  boost::asio::io_context io;
  ToncenterOptions options;
  options.endpoint = "http://127.0.0.1:1";
  options.retry.max_attempts = 3;
  options.retry.initial_delay = std::chrono::milliseconds(100);
  options.retry.jitter = 0;
  ToncenterClient c(io.get_executor(), options);
  auto start = std::chrono::steady_clock::now();
  try {
    run_sync(io, c.get_masterchain_info());
    FAIL() << "no error";
  } catch (const ToncenterError& e) {
    EXPECT_EQ(e.code(), 0);
    EXPECT_EQ(e.transport(), chrysalis::http::ClientError::connect_failed);
    EXPECT_NE(std::string(e.what()).find("getMasterchainInfo"), std::string::npos);
  }
  // two waits: 100 ms + 200 ms
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
}

TEST_F(TonDevnetChain, WaitForTransactionTimesOutClearly) {
  auto nobody = Address::parse("0:" + std::string(64, 'e'));
  try {
    run_sync(io, client->wait_for_transaction(nobody.to_raw(), {},
                                              std::chrono::steady_clock::now() + std::chrono::milliseconds(500),
                                              std::chrono::milliseconds(100)));
    FAIL() << "no timeout";
  } catch (const ToncenterError& e) {
    EXPECT_EQ(e.code(), 504);
  }
  // toncenter-shaped errors come through with their code and message
  try {
    run_sync(io, client->get_address_balance("not-an-address"));
    FAIL() << "no error";
  } catch (const ToncenterError& e) {
    EXPECT_EQ(e.code(), 416);
    EXPECT_NE(e.detail().find("not-an-address"), std::string::npos);
  }
  try {
    run_sync(io, client->send_boc("garbage"));
    FAIL() << "no error";
  } catch (const ToncenterError& e) {
    EXPECT_EQ(e.code(), 400);
  }
}

TEST_F(TonDevnetChain, RootShowPrintsDevnetPrices) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const char* env = std::getenv("CHRYSALIS_BIN");
  std::filesystem::path bin = env && *env ? std::filesystem::path(env) : self.parent_path() / "chrysalis";
  if (!std::filesystem::exists(bin)) GTEST_SKIP() << bin << " not built (set CHRYSALIS_BIN)";
  std::string cmd = bin.string() + " ton root show --endpoint " + devnet->base_url + " --address " +
                    devnet->root.to_friendly() + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  ASSERT_EQ(status, 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["params"]["price_per_token"], "2");
  EXPECT_EQ(j["params"]["worker_fee_per_token"], "1");
  EXPECT_EQ(j["params"]["proxy_delay_before_close"], 7200);
  EXPECT_EQ(j["params"]["client_delay_before_close"], 3600);
  EXPECT_EQ(j["params"]["min_client_stake"], "1000000000");
  EXPECT_EQ(j["address"], devnet->root.to_raw());
  EXPECT_EQ(j["codes"]["client_code_hash"], registry.codes.client->hash_hex());
  EXPECT_TRUE(j["proxies"].is_array());
  // A bad address is refused with a clear error.
  FILE* bad =
      popen((bin.string() + " ton root show --endpoint " + devnet->base_url + " --address nope 2>&1").c_str(), "r");
  std::string bad_out;
  while ((n = fread(buf.data(), 1, buf.size(), bad)) > 0) bad_out.append(buf.data(), n);
  EXPECT_NE(pclose(bad), 0);
  EXPECT_NE(bad_out.find("--address"), std::string::npos) << bad_out;
}

}  // namespace
