#include "ton/contracts/client_contract_funding.h"

#include "ton/contracts/chrysalis_contracts.h"
#include "ton/contracts/contract_messages.h"
#include "ton/wallet/wallet_sender.h"

namespace chrysalis::ton::contracts {

std::vector<WalletOutMessage> client_funding_messages(const ClientContractRef& ref, uint64_t amount, uint64_t stake,
                                                      bool deployed) {
  std::vector<WalletOutMessage> out;
  const Address to = ref.address();
  std::optional<StateInit> init;
  if (!deployed) init = ref.state_init();
  if (amount) {
    out.push_back(bounceable_message(to, amount + kGasAttached, client_body::top_up(amount, 1), init));
    init.reset();
  }
  if (stake) out.push_back(bounceable_message(to, stake + kGasAttached, client_body::increase_stake(stake, 2), init));
  return out;
}

uint64_t client_funding_cost(uint64_t amount, uint64_t stake) {
  return amount + stake + kGasAttached * ((amount ? 1 : 0) + (stake ? 1 : 0));
}

std::optional<std::string> client_funding_refusal(uint64_t wallet_balance, uint64_t amount, uint64_t stake) {
  uint64_t need = client_funding_cost(amount, stake);
  if (wallet_balance >= need) return std::nullopt;
  return "the wallet holds " + format_ton(wallet_balance) + " TON, the top-up needs " + format_ton(need) +
         " TON (amount + stake + gas): nothing was sent";
}

std::optional<std::string> client_withdraw_refusal(uint64_t contract_balance, uint64_t amount) {
  if (amount <= contract_balance) return std::nullopt;
  return "withdrawing " + format_ton(amount) + " TON is above the contract's balance of " +
         format_ton(contract_balance) + " TON: nothing was sent";
}

WalletOutMessage client_message(const Address& contract, CellRef body) {
  return bounceable_message(contract, kGasAttached, std::move(body), std::nullopt);
}

}  // namespace chrysalis::ton::contracts
