// The proxy's books against the real proxy contract on the devnet: commits relayed from a wallet
// are recorded on chain, the books accept what the chain shows, a replayed commit is refused by
// the contract, and a restored older copy of the database refuses to serve.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "billing/proxy_ledger.h"
#include "devnet_fixture.h"
#include "ton/contracts/contract_get_methods.h"

using namespace chrysalis;
using namespace chrysalis::ton;
using namespace chrysalis::ton::contracts;
using namespace chrysalis::ton::devnet_test;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kTon = 1'000'000'000;

void copy_database(const fs::path& from, const fs::path& to) {
  for (const char* suffix : {"", "-wal", "-shm"})
    if (fs::exists(from.string() + suffix))
      fs::copy_file(from.string() + suffix, to.string() + suffix, fs::copy_options::overwrite_existing);
}

// The shared devnet, a chain client and the root's registry; deploys proxy contracts.
class TonDevnetLedger : public ::testing::Test {
 protected:
  void SetUp() override {
    ToncenterOptions options;
    options.endpoint = devnet.process->listening().endpoint;
    options.timeout = std::chrono::seconds(60);
    chain = std::make_unique<ToncenterClient>(io.get_executor(), options);
    registry = run_sync(io, read_root_registry(*chain, devnet.root));
    net = registry.network();
  }
  // A proxy contract owned by `wallet`, bound to `tee_key`, with a 1 TON stake.
  Address deploy_proxy(const DevWallet& wallet, const Ed25519Key& tee_key) {
    auto init = net.proxy_state_init(wallet.address, tee_key.public_key());
    auto proxy = contract_address(0, init);
    run_sync(
        io, send_and_wait(*chain, wallet, {message_to(proxy, kTon + kTon / 10, proxy_body::add_stake(kTon, 1), init)}));
    return proxy;
  }

  Devnet& devnet = shared_devnet();
  boost::asio::io_context io;
  std::unique_ptr<ToncenterClient> chain;
  RootRegistry registry;
  ChrysalisNetwork net;
};

TEST_F(TonDevnetLedger, CommitsGoOnChainAndARestoredCopyRefusesToServe) {
  ToncenterClient& client = *chain;
  auto wallet = dev_wallet(devnet, "proxy-1");
  auto tee_key = Ed25519Key::generate();  // the key that would live only in the proxy's TEE
  auto proxy = deploy_proxy(wallet, tee_key);
  auto chain_commit = [&]() {
    auto pd = run_sync(io, read_proxy_data(client, proxy));
    return billing::OnChainCommit{pd.last_seqno, pd.last_session_hash};
  };
  auto relay = [&](const CellRef& body) {
    run_sync(io, send_and_wait(client, wallet, {message_to(proxy, kTon / 10, body)}));
  };

  fs::path dir = fs::temp_directory_path() / ("chrysalis-devnet-ledger-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  billing::LedgerOptions lo{dir / "books.sqlite", tee_key, billing::Prices::from_params(registry.params), devnet.root,
                            proxy};
  const std::string client_id = "0:" + std::string(64, 'c'), worker_id = "0:" + std::string(64, 'e');
  billing::CommitRequest first;
  {
    auto books = billing::ProxyLedger::open(lo);
    auto v = books->verify_against_chain(chain_commit());
    ASSERT_TRUE(v.ok) << v.reason << " (a new contract holds no commit)";
    books->update_client_chain(client_id, {10 * kTon, kTon, 0});
    auto t = books->reserve({client_id, worker_id, 1000, 20, 100});
    books->settle(t.id, {20, 0, 80, 0});
    first = books->prepare_commit();
    relay(first.signed_body);
    auto seen = chain_commit();
    EXPECT_EQ(seen.seqno, first.seqno);
    EXPECT_EQ(seen.hash, first.hash);
    ASSERT_TRUE(books->verify_against_chain(seen).ok);
    EXPECT_EQ(books->client(client_id)->committed_tokens, 100u);
  }
  copy_database(lo.file, dir / "old.sqlite");
  {
    auto books = billing::ProxyLedger::open(lo);
    ASSERT_TRUE(books->verify_against_chain(chain_commit()).ok);
    auto t = books->reserve({client_id, worker_id, 1000, 20, 100});
    books->settle(t.id, {20, 0, 30, 0});
    auto second = books->prepare_commit();
    relay(second.signed_body);
    ASSERT_TRUE(books->verify_against_chain(chain_commit()).ok);
    EXPECT_EQ(books->signed_charge(client_id)->tokens, 150u);
    // Replaying the first commit gains nothing: the contract keeps the higher seqno.
    relay(first.signed_body);
    EXPECT_EQ(chain_commit().seqno, second.seqno);
  }
  // The operator restores yesterday's database: the chain knows better.
  auto restored_options = lo;
  restored_options.file = dir / "old.sqlite";
  auto restored = billing::ProxyLedger::open(restored_options);
  auto verdict = restored->verify_against_chain(chain_commit());
  EXPECT_FALSE(verdict.ok);
  EXPECT_NE(verdict.reason.find("older copy"), std::string::npos) << verdict.reason;
  EXPECT_THROW(restored->reserve({client_id, worker_id, 1000, 1, 1}), billing::LedgerRefused);
  fs::remove_all(dir);
}

TEST_F(TonDevnetLedger, SignedAmountsFromTheBooksMoveExactlyTheDifferenceOnChain) {
  ToncenterClient& client = *chain;
  const uint64_t price = registry.params.price_per_token;
  auto proxy_wallet = dev_wallet(devnet, "proxy-1");
  auto client_wallet = dev_wallet(devnet, "client-2");
  auto worker_wallet = dev_wallet(devnet, "worker-2");
  auto tee_key = Ed25519Key::generate();
  const auto pub = tee_key.public_key();

  auto proxy = deploy_proxy(proxy_wallet, tee_key);
  auto client_init = net.client_state_init(client_wallet.address, proxy, pub);
  auto client_contract = contract_address(0, client_init);
  run_sync(io, send_and_wait(
                   client, client_wallet,
                   {message_to(client_contract, 3 * kTon + kTon / 10, client_body::top_up(3 * kTon, 2), client_init),
                    message_to(client_contract, kTon + kTon / 10, client_body::increase_stake(kTon, 3))}));
  auto worker_init = net.worker_state_init(worker_wallet.address, proxy, pub);
  auto worker_contract = contract_address(0, worker_init);
  run_sync(io,
           send_and_wait(client, worker_wallet, {message_to(worker_contract, kTon / 10, Cell::empty(), worker_init)}));

  fs::path dir = fs::temp_directory_path() / ("chrysalis-devnet-books-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  billing::LedgerOptions lo{dir / "books.sqlite", tee_key, billing::Prices::from_params(registry.params), devnet.root,
                            proxy};
  auto books = billing::ProxyLedger::open(lo);
  ASSERT_TRUE(books->verify_against_chain({0, {}}).ok);
  const std::string cid = client_contract.to_raw(), wid = worker_contract.to_raw();
  auto cd = run_sync(io, read_client_data(client, client_contract));
  books->update_client_chain(cid, {cd.balance, cd.stake, cd.tokens_used});
  EXPECT_EQ(books->available_nano(cid), kTon) << "the stake caps uncharged usage";
  for (int i = 0; i < 3; ++i) {
    auto t = books->reserve({cid, wid, 1500, 40, 200});
    books->settle(t.id, {40, 10, 100 + uint64_t(i), 0});
  }
  const uint64_t tokens = books->client(cid)->charged_tokens;
  auto commit = books->prepare_commit();
  run_sync(io, send_and_wait(client, proxy_wallet, {message_to(proxy, kTon / 10, commit.signed_body)}));
  auto pd = run_sync(io, read_proxy_data(client, proxy));
  ASSERT_TRUE(books->verify_against_chain({pd.last_seqno, pd.last_session_hash}).ok);

  // The client submits the proxy's signed charge itself: exactly tokens × price moves.
  auto charge = books->signed_charge(cid);
  ASSERT_TRUE(charge);
  EXPECT_EQ(charge->tokens, tokens);
  run_sync(io, send_and_wait(client, client_wallet, {message_to(client_contract, kTon / 10, charge->signed_body)}));
  cd = run_sync(io, read_client_data(client, client_contract));
  EXPECT_EQ(cd.tokens_used, tokens);
  EXPECT_EQ(cd.balance, 3 * kTon - tokens * price);
  // Replaying it moves nothing more.
  run_sync(io, send_and_wait(client, client_wallet, {message_to(client_contract, kTon / 10, charge->signed_body)}));
  EXPECT_EQ(run_sync(io, read_client_data(client, client_contract)).balance, 3 * kTon - tokens * price);
  // The books learn the on-chain charge: the stake's room is free again.
  books->update_client_chain(cid, {cd.balance, cd.stake, cd.tokens_used});
  EXPECT_EQ(books->available_nano(cid), kTon);

  // The worker claims its payout through its contract: the counter moves to the signed amount.
  auto payout = books->signed_payout(wid);
  ASSERT_TRUE(payout);
  run_sync(io, send_and_wait(client, worker_wallet, {message_to(worker_contract, kTon / 10, payout->signed_body)}));
  EXPECT_EQ(run_sync(io, read_worker_data(client, worker_contract)).tokens, tokens);
  pd = run_sync(io, read_proxy_data(client, proxy));
  EXPECT_EQ(pd.client_tokens, tokens);
  EXPECT_EQ(pd.worker_tokens, tokens);
  EXPECT_TRUE(books->check_invariants().empty());
  fs::remove_all(dir);
}

}  // namespace
