#pragma once
// The standard wallet v4r2 (the devnet deploys these): code, initial data, address and signed
// external transfer messages, byte for byte as @ton/ton's WalletContractV4 builds them.
//
//   WalletV4R2 wallet(key.public_key());               // workchain 0, subwallet 698983191
//   auto ext = wallet.create_transfer(key, seqno, now + 60, {{msg, send_mode::kPayFeesSeparately}});
//   toncenter.sendBoc(boc_to_base64(ext));
// For the very first transfer (seqno 0, wallet not yet deployed) use create_deploy_transfer,
// which attaches the wallet's StateInit to the external message.
#include <cstdint>
#include <vector>

#include "ton/cells/message.h"
#include "ton/wallet/ed25519_key.h"

namespace chrysalis::ton {

struct WalletOutMessage {
  InternalMessage message;
  uint8_t send_mode = send_mode::kPayFeesSeparately | send_mode::kIgnoreErrors;  // 3, the usual wallet mode
};

class WalletV4R2 {
 public:
  static constexpr uint32_t kDefaultSubwalletId = 698983191;  // + workchain, as @ton/ton does
  static constexpr size_t kMaxMessages = 4;

  explicit WalletV4R2(const PublicKey& public_key, int32_t workchain = 0,
                      std::optional<uint32_t> wallet_id = std::nullopt);

  static CellRef code();  // the standard v4r2 code cell (hash feb5ff68…5c0)
  // seqno:uint32 wallet_id:uint32 public_key:bits256 plugins:(HashmapE 256 int8) = empty.
  CellRef data(uint32_t seqno = 0) const;
  StateInit state_init() const { return {code(), data(0)}; }
  const Address& address() const { return address_; }
  uint32_t wallet_id() const { return wallet_id_; }
  const PublicKey& public_key() const { return public_key_; }

  // The signed body: signature:bits512 wallet_id:uint32 valid_until:uint32 seqno:uint32 op:uint8=0
  // then per message mode:uint8 + ^MessageRelaxed. Signature = Ed25519 over the hash of the unsigned part.
  // 1..4 messages, else std::invalid_argument. `key` must belong to this wallet.
  CellRef create_transfer_body(const Ed25519Key& key, uint32_t seqno, uint32_t valid_until,
                               const std::vector<WalletOutMessage>& messages) const;
  // The external message to send (no StateInit).
  CellRef create_transfer(const Ed25519Key& key, uint32_t seqno, uint32_t valid_until,
                          const std::vector<WalletOutMessage>& messages) const;
  // As create_transfer with seqno 0 and the wallet's StateInit attached: deploys the wallet and sends.
  CellRef create_deploy_transfer(const Ed25519Key& key, uint32_t valid_until,
                                 const std::vector<WalletOutMessage>& messages) const;

 private:
  PublicKey public_key_;
  int32_t workchain_;
  uint32_t wallet_id_;
  Address address_;
};

}  // namespace chrysalis::ton
