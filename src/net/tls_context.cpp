#include "net/tls_context.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include "crypto/openssl_util.h"

namespace chrysalis::net {
namespace {

// SSL ex_data slot holding the identity the verifier established (attestation fields included).
int verified_identity_index() {
  static const int index = SSL_get_ex_new_index(
      0, nullptr, nullptr, nullptr,
      [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<crypto::PeerIdentity*>(ptr); });
  return index;
}

// SSL ex_data slot holding why our verifier refused the peer (for the handshake's error message).
int refusal_index() {
  static const int index = SSL_get_ex_new_index(
      0, nullptr, nullptr, nullptr,
      [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<std::string*>(ptr); });
  return index;
}

// Replaces OpenSSL's chain building: the verifier alone decides.
int verify_with_verifier(X509_STORE_CTX* store, void* arg) {
  auto* verifier = static_cast<crypto::PeerVerifier*>(arg);
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  if (!leaf) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  crypto::PeerIdentity identity;
  std::string reason;
  // Depth 0 only: every node's certificate is self-signed, so a peer that sends a chain is odd.
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_untrusted(store);
  bool accepted = false;
  if (chain && sk_X509_num(chain) > 1)
    reason = "peer sent a certificate chain of " + std::to_string(sk_X509_num(chain)) + " (only depth 0 is accepted)";
  else
    accepted = verifier->verify(leaf, identity, reason);
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (!accepted) {
    spdlog::warn("peer refused in TLS handshake: {} (key={})", reason, identity.public_key_hex);
    if (ssl) {
      delete static_cast<std::string*>(SSL_get_ex_data(ssl, refusal_index()));
      SSL_set_ex_data(ssl, refusal_index(), new std::string(reason));
    }
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  if (ssl) {
    delete static_cast<crypto::PeerIdentity*>(SSL_get_ex_data(ssl, verified_identity_index()));
    SSL_set_ex_data(ssl, verified_identity_index(), new crypto::PeerIdentity(std::move(identity)));
  }
  return 1;
}

}  // namespace

std::shared_ptr<boost::asio::ssl::context> make_tls_context(const crypto::TlsIdentity& identity,
                                                            std::shared_ptr<crypto::PeerVerifier> verifier,
                                                            TlsSide side) {
  namespace ssl = boost::asio::ssl;
  // The deleter owns the verifier, so it lives exactly as long as the context that calls it.
  // (Not SSL_CTX ex_data: Boost.Asio uses app data slot 0 for its own callbacks.)
  crypto::PeerVerifier* verifier_ptr = verifier.get();
  std::shared_ptr<ssl::context> ctx(
      new ssl::context(side == TlsSide::Server ? ssl::context::tls_server : ssl::context::tls_client),
      [keep = std::move(verifier)](ssl::context* c) { delete c; });
  SSL_CTX* raw = ctx->native_handle();
  SSL_CTX_set_min_proto_version(raw, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(raw, TLS1_3_VERSION);
  SSL_CTX_set_ciphersuites(raw, "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256");
  SSL_CTX_set_options(raw, SSL_OP_NO_TICKET);
  // An idle connection gives its ~34 KiB of record buffers back: a proxy holds thousands of them.
  SSL_CTX_set_mode(raw, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(raw, 0);
  ctx->use_certificate_chain(boost::asio::buffer(identity.cert_pem));
  ctx->use_private_key(boost::asio::buffer(identity.key_pem), ssl::context::pem);
  SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_cert_verify_callback(raw, verify_with_verifier, verifier_ptr);
  return ctx;
}

std::string handshake_refusal(SSL* ssl) {
  auto* reason = static_cast<std::string*>(SSL_get_ex_data(ssl, refusal_index()));
  return reason ? *reason : std::string();
}

crypto::PeerIdentity peer_identity(SSL* ssl) {
  if (auto* verified = static_cast<crypto::PeerIdentity*>(SSL_get_ex_data(ssl, verified_identity_index())))
    if (!verified->public_key_hex.empty()) return *verified;
  crypto::OsslPtr<X509, X509_free> cert(SSL_get1_peer_certificate(ssl));
  if (!cert) return {};
  return crypto::describe_certificate(cert.get());
}

}  // namespace chrysalis::net
