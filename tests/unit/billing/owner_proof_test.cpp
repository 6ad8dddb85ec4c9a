#include "billing/owner_proof.h"

#include <gtest/gtest.h>

#include "ton/wallet/wallet_v4r2.h"

namespace chrysalis::billing {
namespace {

const std::string kWorker(64, 'a'), kProxy(64, 'b');

TEST(OwnerProof, TheOwnersWalletVouchesForThisWorkerOnThisConnectionOnly) {
  auto wallet = ton::Ed25519Key::generate();
  std::string owner = ton::WalletV4R2(wallet.public_key(), 0).address().to_raw();
  auto proof = make_owner_proof(wallet, 0, kWorker, kProxy);
  EXPECT_EQ(owner_proof_problem(proof, owner, kWorker, kProxy), "");
  // Replayed by another worker, or to another proxy: refused.
  EXPECT_NE(owner_proof_problem(proof, owner, std::string(64, 'c'), kProxy).find("does not verify"), std::string::npos);
  EXPECT_NE(owner_proof_problem(proof, owner, kWorker, std::string(64, 'c')).find("does not verify"), std::string::npos);
  // Someone else's wallet named as the owner: the key opens another wallet.
  auto other = ton::Ed25519Key::generate();
  std::string someone = ton::WalletV4R2(other.public_key(), 0).address().to_raw();
  EXPECT_NE(owner_proof_problem(proof, someone, kWorker, kProxy).find("is not owner_address"), std::string::npos);
  auto broken = proof;
  broken.set_signature("short");
  EXPECT_NE(owner_proof_problem(broken, owner, kWorker, kProxy).find("64 bytes"), std::string::npos);
}

}  // namespace
}  // namespace chrysalis::billing
