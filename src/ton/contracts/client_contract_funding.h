#pragma once
// The owner's money on a client contract, as the wallet CLI and the client node both move it:
// the messages that deploy/fund it, and the checks that refuse an action before anything is
// signed (each message says "nothing was sent").
#include <optional>
#include <string>
#include <vector>

#include "ton/contracts/contract_init.h"
#include "ton/wallet/wallet_v4r2.h"

namespace chrysalis::ton::contracts {

// One owner's contract with one proxy.
struct ClientContractRef {
  ChrysalisNetwork network;
  Address owner, proxy_contract;
  PublicKey proxy_key{};
  Address address() const { return network.client_address(owner, proxy_contract, proxy_key); }
  StateInit state_init() const { return network.client_state_init(owner, proxy_contract, proxy_key); }
};

// TopUp `amount` and IncreaseStake `stake` (either may be 0), the first one carrying the StateInit
// when the contract is not deployed yet. Bounceable, kGasAttached on top of each.
std::vector<WalletOutMessage> client_funding_messages(const ClientContractRef& ref, uint64_t amount, uint64_t stake,
                                                      bool deployed);
// What the wallet must hold for them: amount + stake + gas per message.
uint64_t client_funding_cost(uint64_t amount, uint64_t stake);
// Why a wallet holding `wallet_balance` cannot pay for that top-up (nullopt: it can).
std::optional<std::string> client_funding_refusal(uint64_t wallet_balance, uint64_t amount, uint64_t stake);
// Why withdrawing `amount` from a contract holding `contract_balance` is refused (nullopt: allowed).
std::optional<std::string> client_withdraw_refusal(uint64_t contract_balance, uint64_t amount);
// A bounceable message with kGasAttached to the contract (withdraw, close, a signed charge).
WalletOutMessage client_message(const Address& contract, CellRef body);

}  // namespace chrysalis::ton::contracts
