#pragma once
// The proof a client gives its proxy that it holds the key of the wallet that pays: an Ed25519
// signature by the wallet key over a context string and both ends' TLS keys, so the proof is
// good for this one connection only (a proxy or eavesdropper cannot replay it elsewhere).
#include <vector>

#include "ton/wallet/ed25519_key.h"

namespace chrysalis::billing {

std::vector<uint8_t> billing_hello_message(const ton::PublicKey& client_tls, const ton::PublicKey& proxy_tls);

// What a worker's owner wallet signs so that reputation can follow the owner (proxy/reputation_table.h):
// a context of its own, the worker's and the proxy's TLS keys.
std::vector<uint8_t> worker_owner_message(const ton::PublicKey& worker_tls, const ton::PublicKey& proxy_tls);

// 64 hex characters → key; throws std::invalid_argument naming `what`.
ton::PublicKey public_key_from_hex(const std::string& hex, const std::string& what);

}  // namespace chrysalis::billing
