#include "ton/wallet/wallet_v4r2.h"

#include <stdexcept>

#include "ton/cells/boc.h"

namespace chrysalis::ton {

namespace {
// The standard wallet v4r2 code BoC (public; as shipped in @ton/ton's WalletContractV4).
constexpr const char* kWalletV4R2CodeHex =
    "b5ee9c72010214010002d4000114ff00f4a413f4bcf2c80b010201200203020148040504f8f28308d71820d31fd31fd31f02"
    "f823bbf264ed44d0d31fd31fd3fff404d15143baf2a15151baf2a205f901541064f910f2a3f80024a4c8cb1f5240cb1f5230"
    "cbff5210f400c9ed54f80f01d30721c0009f6c519320d74a96d307d402fb00e830e021c001e30021c002e30001c0039130e3"
    "0d03a4c8cb1f12cb1fcbff1011121302e6d001d0d3032171b0925f04e022d749c120925f04e002d31f218210706c7567bd22"
    "821064737472bdb0925f05e003fa403020fa4401c8ca07cbffc9d0ed44d0810140d721f404305c810108f40a6fa131b3925f"
    "07e005d33fc8258210706c7567ba923830e30d03821064737472ba925f06e30d06070201200809007801fa00f40430f8276f"
    "2230500aa121bef2e0508210706c7567831eb17080185004cb0526cf1658fa0219f400cb6917cb1f5260cb3f20c98040fb00"
    "06008a5004810108f45930ed44d0810140d720c801cf16f400c9ed540172b08e23821064737472831eb17080185005cb0550"
    "03cf1623fa0213cb6acb1fcb3fc98040fb00925f03e20201200a0b0059bd242b6f6a2684080a06b90fa0218470d4080847a4"
    "937d29910ce6903e9ff9837812801b7810148987159f31840201580c0d0011b8c97ed44d0d70b1f8003db29dfb5134204050"
    "35c87d010c00b23281f2fff274006040423d029be84c600201200e0f0019adce76a26840206b90eb85ffc00019af1df6a268"
    "40106b90eb858fc0006ed207fa00d4d422f90005c8ca0715cbffc9d077748018c8cb05cb0222cf165005fa0214cb6b12cccc"
    "c973fb00c84014810108f451f2a7020070810108d718fa00d33fc8542047810108f451f2a782106e6f746570748018c8cb05"
    "cb025006cf165004fa0214cb6a12cb1fcb3fc973fb0002006c810108d718fa00d33f305224810108f459f2a7821064737472"
    "70748018c8cb05cb025005cf165003fa0213cb6acb1f12cb3fc973fb00000af400c9ed54";
}  // namespace

CellRef WalletV4R2::code() {
  static const CellRef kCode = deserialize_boc_single(from_hex(kWalletV4R2CodeHex));
  return kCode;
}

WalletV4R2::WalletV4R2(const PublicKey& public_key, int32_t workchain, std::optional<uint32_t> wallet_id)
    : public_key_(public_key),
      workchain_(workchain),
      wallet_id_(wallet_id ? *wallet_id : static_cast<uint32_t>(static_cast<int64_t>(kDefaultSubwalletId) + workchain)),
      address_(contract_address(workchain, {code(), data(0)})) {}

CellRef WalletV4R2::data(uint32_t seqno) const {
  return CellBuilder()
      .store_uint(seqno, 32)
      .store_uint(wallet_id_, 32)
      .store_bytes(public_key_)
      .store_bit(false)
      .end_cell();
}

CellRef WalletV4R2::create_transfer_body(const Ed25519Key& key, uint32_t seqno, uint32_t valid_until,
                                         const std::vector<WalletOutMessage>& messages) const {
  if (messages.empty() || messages.size() > kMaxMessages)
    throw std::invalid_argument("wallet v4r2 transfer: 1..4 messages, got " + std::to_string(messages.size()));
  if (key.public_key() != public_key_)
    throw std::invalid_argument("wallet v4r2 transfer: the key does not belong to this wallet");
  CellBuilder unsigned_part;
  unsigned_part.store_uint(wallet_id_, 32)
      .store_uint(valid_until, 32)
      .store_uint(seqno, 32)
      .store_uint(0, 8);  // op 0: send messages
  for (const auto& m : messages) unsigned_part.store_uint(m.send_mode, 8).store_ref(build_internal_message(m.message));
  Signature sig = key.sign(unsigned_part.end_cell()->hash());
  return CellBuilder().store_bytes(sig).store_builder(unsigned_part).end_cell();
}

CellRef WalletV4R2::create_transfer(const Ed25519Key& key, uint32_t seqno, uint32_t valid_until,
                                    const std::vector<WalletOutMessage>& messages) const {
  return build_external_message({address_, create_transfer_body(key, seqno, valid_until, messages), std::nullopt});
}

CellRef WalletV4R2::create_deploy_transfer(const Ed25519Key& key, uint32_t valid_until,
                                           const std::vector<WalletOutMessage>& messages) const {
  return build_external_message({address_, create_transfer_body(key, 0, valid_until, messages), state_init()});
}

}  // namespace chrysalis::ton
