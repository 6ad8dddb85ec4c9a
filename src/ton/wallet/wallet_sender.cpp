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

uint64_t parse_ton_amount(const std::string& text, const std::string& what, bool allow_zero) {
  auto bad = [&](const std::string& why) { return std::invalid_argument(what + ": \"" + text + "\" " + why); };
  if (text.empty()) throw bad("is empty");
  if (text[0] == '-') throw bad("is negative");
  size_t dot = text.find('.');
  std::string whole = text.substr(0, dot), frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (whole.empty() && frac.empty()) throw bad("is not a number");
  for (char c : whole + frac)
    if (c < '0' || c > '9') throw bad("is not a decimal amount of TON (e.g. 1.5)");
  if (frac.size() > 9) throw bad("has more than 9 decimals (1 nanoTON = 0.000000001 TON)");
  frac.resize(9, '0');
  unsigned __int128 nano = 0;
  for (char c : whole + frac) {
    nano = nano * 10 + static_cast<unsigned>(c - '0');
    if (nano > UINT64_MAX) throw bad("is too large");
  }
  if (nano == 0 && !allow_zero) throw bad("is zero");
  return static_cast<uint64_t>(nano);
}

std::string format_ton(uint64_t nano) {
  std::string whole = std::to_string(nano / 1'000'000'000), frac = std::to_string(nano % 1'000'000'000);
  frac.insert(0, 9 - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return frac.empty() ? whole : whole + "." + frac;
}

}  // namespace chrysalis::ton
