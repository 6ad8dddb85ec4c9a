// libFuzzer target: a peer's DER certificate through what a node does with it during the TLS
// handshake: the RA-TLS extensions read out and the claims decoded (attest/ra_tls/ra_tls_cert.h,
// claims.h), then the whole AttestedPeerVerifier of the role the claims name (the worker's when they
// name none) or, for a client, the ClientKeyVerifier.
// A mutated certificate fails the self-signature check first, so the harness also re-signs it with
// the fixed key its seeds were made with (fuzz_identity.h) when it names that key: the claims, role,
// age, quote, report data and model checks behind that stay reachable.
#include <openssl/err.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "attest/policy/policy.h"
#include "attest/ra_tls/attested_peer_verifier.h"
#include "attest/ra_tls/claims.h"
#include "attest/ra_tls/ra_tls_cert.h"
#include "fuzz_identity.h"

using namespace chrysalis;
using namespace chrysalis::attest;

namespace {

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

std::shared_ptr<PolicySource> fuzz_policy() {
  Policy p;
  p.anchors = TrustAnchors::intel();
  p.allow_none = true;  // quote-less certificates reach the checks after the quote too
  p.allowed_models = {std::string(64, 'a')};
  return std::make_shared<StaticPolicySource>(std::move(p));
}

// The extraction pieces on their own: they run on every certificate a peer presents. Returns the
// role the claims name, if they decode.
std::string extract(X509* cert) {
  RaTlsExtensions ext = read_ra_tls_extensions(cert);
  std::string key = ed25519_public_key(cert);
  if (!key.empty() && key.size() != 32) __builtin_trap();
  (void)crypto::describe_certificate(cert);
  if (!ext.claims) return {};
  std::string error;
  auto claims = decode_claims(*ext.claims, error);
  if (!claims && error.empty()) __builtin_trap();
  return claims ? claims->role : std::string();
}

// The verifier of the hop the claims are meant for: each check costs OpenSSL 3 a key decode, so one
// verifier per certificate keeps the target fast.
void judge(X509* cert, const std::string& role) {
  static const auto policy = fuzz_policy();
  static const auto cache = std::make_shared<PeerQuoteCache>(64);
  static AttestedPeerVerifier proxy(policy, "proxy", cache, fuzz::fixed_now);
  static AttestedPeerVerifier worker(policy, "worker", cache, fuzz::fixed_now);
  static ClientKeyVerifier client(policy);
  crypto::PeerIdentity identity;
  std::string reason;
  if (role == "client") {
    if (client.verify(cert, identity, reason) != reason.empty()) __builtin_trap();
    return;
  }
  AttestedPeerVerifier& verifier = role == "proxy" ? proxy : worker;
  bool ok = verifier.verify(cert, identity, reason);
  if (ok != reason.empty()) __builtin_trap();  // accepted, or refused with a reason
  if (ok && identity.claimed_role != (role == "proxy" ? "proxy" : "worker")) __builtin_trap();
  if (ok && role != "proxy" && identity.model_hash != std::string(64, 'a')) __builtin_trap();
}

void check(const uint8_t* data, size_t size) {
  const unsigned char* p = data;
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(size)), X509_free);
  if (!cert) return;
  judge(cert.get(), extract(cert.get()));
  // As a peer holding the fixed key would have signed it: only where the certificate names that key
  // (as the seeds do), since replacing a key costs OpenSSL 3 an encode and a decode.
  EVP_PKEY* key = fuzz::fixed_ed25519_key();
  EVP_PKEY* named = X509_get0_pubkey(cert.get());
  if (!named || EVP_PKEY_eq(named, key) != 1 || X509_sign(cert.get(), key, nullptr) == 0) return;
  judge(cert.get(), extract(cert.get()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check(data, size);
  // OpenSSL's error queue keeps what failed: left there, every run looks like a leak to libFuzzer,
  // which then scans the heap after each one.
  ERR_clear_error();
  return 0;
}
