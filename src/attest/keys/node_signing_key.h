#pragma once
// A node's TLS (TEE) key as the Ed25519 signer it also is: the proxy signs ledger rows, payments
// and receipt countersignatures with it, a worker its receipts.
#include <string>

#include "ton/wallet/ed25519_key.h"

namespace chrysalis::attest {

// From the PEM private key of the node's identity; throws std::runtime_error when it is not Ed25519.
ton::Ed25519Key node_signing_key(const std::string& key_pem);

}  // namespace chrysalis::attest
