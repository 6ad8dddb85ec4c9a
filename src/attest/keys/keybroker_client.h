#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "attest/keys/sealing.h"
#include "crypto/peer_verifier.h"
#include "crypto/tls_identity.h"

namespace chrysalis::attest {

// Asks the key broker at `broker` ("host:port") for this node's sealing key over RA-TLS:
// `identity` carries a fresh quote of this node's image (its key may be throwaway), `verifier`
// checks that the broker is an allowed, attested broker. The broker answers with the 32-byte key
// for the image it verified and closes. Throws std::runtime_error naming what failed (refusals
// by either side included) within `timeout`.
SealingKey fetch_sealing_key(const std::string& broker, const crypto::TlsIdentity& identity,
                             std::shared_ptr<crypto::PeerVerifier> verifier, std::chrono::milliseconds timeout);

}  // namespace chrysalis::attest
