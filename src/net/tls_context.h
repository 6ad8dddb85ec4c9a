#pragma once
#include <boost/asio/ssl/context.hpp>

#include <memory>

#include "crypto/peer_verifier.h"
#include "crypto/tls_identity.h"

namespace chrysalis::net {

enum class TlsSide { Client, Server };

// TLS 1.3 only, AEAD suites only, no session resumption, peer certificate always required and
// checked by `verifier` (not by a CA store: every node's certificate is self-signed).
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const crypto::TlsIdentity& identity,
                                                            std::shared_ptr<crypto::PeerVerifier> verifier,
                                                            TlsSide side);

// Why this side's verifier refused the peer during a failed handshake; empty when it did not.
std::string handshake_refusal(SSL* ssl);

// Identity of the peer after a successful handshake.
crypto::PeerIdentity peer_identity(SSL* ssl);

}  // namespace chrysalis::net
