#include "billing/owner_proof.h"

#include "billing/billing_hello.h"
#include "ton/cells/address.h"
#include "ton/wallet/wallet_v4r2.h"

namespace chrysalis::billing {

proto::BillingHello make_owner_proof(const ton::Ed25519Key& wallet, int32_t workchain, const std::string& worker_tls_hex,
                                     const std::string& proxy_tls_hex) {
  auto message = worker_owner_message(public_key_from_hex(worker_tls_hex, "our TLS key"),
                                      public_key_from_hex(proxy_tls_hex, "the proxy's TLS key"));
  auto sig = wallet.sign(message);
  proto::BillingHello proof;
  proof.set_wallet_public_key(std::string(wallet.public_key().begin(), wallet.public_key().end()));
  proof.set_workchain(workchain);
  proof.set_signature(std::string(sig.begin(), sig.end()));
  return proof;
}

std::string owner_proof_problem(const proto::BillingHello& proof, const std::string& owner_address,
                                const std::string& worker_tls_hex, const std::string& proxy_tls_hex) {
  if (proof.wallet_public_key().size() != 32) return "owner_proof.wallet_public_key must be 32 bytes";
  if (proof.signature().size() != 64) return "owner_proof.signature must be 64 bytes";
  if (proof.workchain() != 0 && proof.workchain() != -1) return "owner_proof.workchain must be 0 or -1";
  ton::PublicKey key{};
  std::copy(proof.wallet_public_key().begin(), proof.wallet_public_key().end(), key.begin());
  ton::Signature sig{};
  std::copy(proof.signature().begin(), proof.signature().end(), sig.begin());
  try {
    auto message = worker_owner_message(public_key_from_hex(worker_tls_hex, "the worker's TLS key"),
                                        public_key_from_hex(proxy_tls_hex, "the proxy's TLS key"));
    if (!ton::ed25519_verify(key, message, sig)) return "owner_proof: the signature does not verify for this connection";
    if (!(ton::WalletV4R2(key, proof.workchain()).address() == ton::Address::parse(owner_address)))
      return "owner_proof: the signing key's wallet is not owner_address " + owner_address.substr(0, 80);
  } catch (const std::exception& e) {
    return std::string("owner_proof: ") + e.what();
  }
  return "";
}

}  // namespace chrysalis::billing
