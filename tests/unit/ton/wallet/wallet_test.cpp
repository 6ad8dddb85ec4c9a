// Ed25519 (RFC 8032 vector), StateInit addresses and wallet v4r2 transfers (structure and signature).
#include <gtest/gtest.h>

#include "ton/cells/boc.h"
#include "ton/wallet/wallet_v4r2.h"

namespace chrysalis::ton {
namespace {

TEST(TonWallet, Ed25519MatchesRfc8032TestVector1) {
  auto key = Ed25519Key::from_seed(from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  EXPECT_EQ(to_hex(key.public_key()), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  Signature sig = key.sign({});
  EXPECT_EQ(to_hex(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f059"
            "5bbe24655141438e7a100b");
  EXPECT_TRUE(ed25519_verify(key.public_key(), {}, sig));
  sig[0] ^= 1;
  EXPECT_FALSE(ed25519_verify(key.public_key(), {}, sig));
  EXPECT_THROW(Ed25519Key::from_seed(Bytes(31)), std::invalid_argument);
  Bytes secret(key.seed().begin(), key.seed().end());
  secret.insert(secret.end(), key.public_key().begin(), key.public_key().end());
  EXPECT_EQ(Ed25519Key::from_seed(secret).public_key(), key.public_key());
  secret.back() ^= 1;
  EXPECT_THROW(Ed25519Key::from_seed(secret), std::invalid_argument);
}

TEST(TonWallet, CodeIsTheStandardV4R2) {
  EXPECT_EQ(WalletV4R2::code()->hash_hex(), "feb5ff6820e2ff0d9483e7e0d62c817d846789fb4ae580c878866d959dabd5c0");
}

TEST(TonWallet, AddressIsTheHashOfItsStateInit) {
  auto key = Ed25519Key::from_seed(Bytes(32, 7));
  WalletV4R2 w(key.public_key());
  EXPECT_EQ(w.wallet_id(), 698983191u);
  EXPECT_EQ(w.address().workchain, 0);
  EXPECT_EQ(w.address().hash, build_state_init(w.state_init())->hash());
  WalletV4R2 master(key.public_key(), -1);
  EXPECT_EQ(master.wallet_id(), 698983190u);
  EXPECT_NE(master.address().hash, w.address().hash);
  CellSlice data(w.data(9));
  EXPECT_EQ(data.load_uint(32), 9u);
  EXPECT_EQ(data.load_uint(32), 698983191u);
  EXPECT_EQ(data.load_uint256(), key.public_key());
  EXPECT_FALSE(data.load_bit());
  data.end_parse();
}

TEST(TonWallet, TransferIsSignedOverTheUnsignedPart) {
  auto key = Ed25519Key::from_seed(Bytes(32, 1));
  WalletV4R2 w(key.public_key());
  InternalMessage pay{.dest = w.address(), .value = 123, .bounce = false};
  CellRef ext = w.create_transfer(key, 4, 1'700'000'000, {{pay, 3}, {pay, 1}});
  CellSlice s(ext);
  EXPECT_EQ(s.load_uint(2), 0b10u);                // ext_in_msg_info
  EXPECT_FALSE(s.load_address_opt().has_value());  // src addr_none
  EXPECT_EQ(s.load_address(), w.address());
  EXPECT_EQ(s.load_coins(), 0u);  // import fee
  EXPECT_FALSE(s.load_bit());     // no StateInit
  EXPECT_FALSE(s.load_bit());     // body inline
  Bytes sig_bytes = s.load_bits(512);
  CellBuilder unsigned_part;
  unsigned_part.store_slice(s);
  Signature sig{};
  std::copy(sig_bytes.begin(), sig_bytes.end(), sig.begin());
  EXPECT_TRUE(ed25519_verify(key.public_key(), unsigned_part.end_cell()->hash(), sig));
  EXPECT_EQ(s.load_uint(32), w.wallet_id());
  EXPECT_EQ(s.load_uint(32), 1'700'000'000u);
  EXPECT_EQ(s.load_uint(32), 4u);
  EXPECT_EQ(s.load_uint(8), 0u);
  EXPECT_EQ(s.load_uint(8), 3u);
  CellSlice msg(s.load_ref());
  EXPECT_EQ(s.load_uint(8), 1u);
  s.load_ref();
  s.end_parse();
  EXPECT_FALSE(msg.load_bit());  // int_msg_info
  EXPECT_TRUE(msg.load_bit());   // ihr_disabled
  EXPECT_FALSE(msg.load_bit());  // bounce
  EXPECT_FALSE(msg.load_bit());  // bounced
  EXPECT_FALSE(msg.load_address_opt().has_value());
  EXPECT_EQ(msg.load_address(), w.address());
  EXPECT_EQ(msg.load_coins(), 123u);
}

TEST(TonWallet, DeployTransferCarriesTheStateInit) {
  auto key = Ed25519Key::from_seed(Bytes(32, 2));
  WalletV4R2 w(key.public_key());
  CellRef ext = w.create_deploy_transfer(key, 100, {{InternalMessage{.dest = w.address(), .value = 1}}});
  CellSlice s(ext);
  s.skip_bits(2 + 2 + 267 + 4);
  EXPECT_TRUE(s.load_bit());   // init present
  EXPECT_FALSE(s.load_bit());  // inline
  EXPECT_EQ(s.load_uint(5), 0b00110u);
  EXPECT_EQ(s.load_ref()->hash(), WalletV4R2::code()->hash());
  EXPECT_EQ(s.load_ref()->hash(), w.data(0)->hash());
}

TEST(TonWallet, RefusesBadTransfers) {
  auto key = Ed25519Key::from_seed(Bytes(32, 3));
  auto other = Ed25519Key::from_seed(Bytes(32, 4));
  WalletV4R2 w(key.public_key());
  WalletOutMessage m{InternalMessage{.dest = w.address(), .value = 1}};
  EXPECT_THROW(w.create_transfer(key, 1, 1, {}), std::invalid_argument);
  EXPECT_THROW(w.create_transfer(key, 1, 1, {m, m, m, m, m}), std::invalid_argument);
  EXPECT_THROW(w.create_transfer(other, 1, 1, {m}), std::invalid_argument);
  EXPECT_NO_THROW(w.create_transfer(key, 1, 1, {m, m, m, m}));
}

}  // namespace
}  // namespace chrysalis::ton
