#include "ton/wallet/wallet_sender.h"

#include <ctime>
#include <stdexcept>

#include "ton/cells/boc.h"

namespace chrysalis::ton {

boost::asio::awaitable<Transaction> send_and_wait(ToncenterClient& client, const Ed25519Key& key,
                                                  const WalletV4R2& wallet, std::vector<WalletOutMessage> messages,
                                                  std::chrono::seconds timeout) {
  const std::string self = wallet.address().to_raw();
  auto info = co_await client.get_wallet_information(self);
  std::vector<std::pair<Address, uint64_t>> destinations;
  for (const auto& m : messages) {
    auto dest_info = co_await client.get_address_information(m.message.dest.to_raw());
    destinations.emplace_back(m.message.dest, dest_info.last_transaction.lt);
  }
  auto valid_until = static_cast<uint32_t>(std::time(nullptr) + 600);
  auto ext = info.wallet ? wallet.create_transfer(key, info.seqno, valid_until, messages)
                         : wallet.create_deploy_transfer(key, valid_until, messages);
  auto boc = serialize_boc(ext);
  auto sent = co_await client.send_boc_return_hash(std::string(boc.begin(), boc.end()));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  TransactionMatch match;
  match.after_lt = info.last_transaction.lt;
  match.in_msg_hashes = {sent.hash, sent.hash_norm};
  auto tx = co_await client.wait_for_transaction(self, match, deadline);
  for (const auto& [dest, lt] : destinations) {
    TransactionMatch any;
    any.after_lt = lt;
    co_await client.wait_for_transaction(dest.to_raw(), any, deadline);
  }
  co_return tx;
}

WalletOutMessage bounceable_message(const Address& to, uint64_t value, CellRef body, std::optional<StateInit> init) {
  InternalMessage m;
  m.dest = to;
  m.value = value;
  m.bounce = true;
  m.body = std::move(body);
  m.state_init = std::move(init);
  return {m};
}

}  // namespace chrysalis::ton
