#pragma once
// Sends internal messages from a v4r2 wallet and waits until the chain has processed them: the
// wallet's own transaction, then one new transaction on every destination. Deploys the wallet
// with its first transfer when it is not deployed yet.
#include <utility>  // before Boost 1.74 awaitable.hpp

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <vector>

#include "ton/toncenter/toncenter_client.h"
#include "ton/wallet/ton_amount.h"
#include "ton/wallet/wallet_v4r2.h"

namespace chrysalis::ton {

boost::asio::awaitable<Transaction> send_and_wait(ToncenterClient& client, const Ed25519Key& key,
                                                  const WalletV4R2& wallet, std::vector<WalletOutMessage> messages,
                                                  std::chrono::seconds timeout = std::chrono::seconds(60));

// An internal message from a wallet, bounceable so that a refused one comes back.
WalletOutMessage bounceable_message(const Address& to, uint64_t value, CellRef body,
                                    std::optional<StateInit> init = std::nullopt);

}  // namespace chrysalis::ton
