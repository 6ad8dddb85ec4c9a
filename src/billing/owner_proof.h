#pragma once
// A worker proves which wallet owns it (the wallet it is paid to): the wallet key signs the
// connection's two TLS keys (billing_hello.h worker_owner_message), and the wallet the key opens
// must be the owner address the worker names. Reputation then follows the owner, not the key.
#include <string>

#include "chrysalis.pb.h"
#include "ton/wallet/ed25519_key.h"

namespace chrysalis::billing {

// The proof for one connection: `wallet` signs our and the proxy's TLS keys (hex).
proto::BillingHello make_owner_proof(const ton::Ed25519Key& wallet, int32_t workchain, const std::string& worker_tls_hex,
                                     const std::string& proxy_tls_hex);

// Empty when `proof` shows that the holder of `owner_address`'s wallet (v4r2) vouches for the
// worker with `worker_tls_hex` on this proxy's connection; else why not.
std::string owner_proof_problem(const proto::BillingHello& proof, const std::string& owner_address,
                                const std::string& worker_tls_hex, const std::string& proxy_tls_hex);

}  // namespace chrysalis::billing
