#include "attest/quote/quote_chain.h"

#include <openssl/x509_vfy.h>

#include "attest/quote/quote_crypto.h"

namespace chrysalis::attest {

namespace {
using StorePtr = crypto::OsslPtr<X509_STORE, X509_STORE_free>;
using StoreCtxPtr = crypto::OsslPtr<X509_STORE_CTX, X509_STORE_CTX_free>;
struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }  // certificates are borrowed
};

ChainError classify(int err) {
  switch (err) {
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return ChainError::expired;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_CERT_UNTRUSTED:
      return ChainError::untrusted;
    default:
      return ChainError::invalid;
  }
}
}  // namespace

ChainCheck verify_chain(const std::vector<std::shared_ptr<X509>>& certs, const TrustAnchors& anchors,
                        std::chrono::system_clock::time_point now) {
  ChainCheck out;
  if (certs.empty()) {
    out.error = ChainError::invalid;
    out.text = "empty certificate chain";
    return out;
  }
  StorePtr store(X509_STORE_new());
  for (const auto& root : anchors.roots()) X509_STORE_add_cert(store.get(), root.get());
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  for (size_t i = 1; i < certs.size(); ++i) sk_X509_push(untrusted.get(), certs[i].get());

  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || !X509_STORE_CTX_init(ctx.get(), store.get(), certs[0].get(), untrusted.get())) {
    out.error = ChainError::invalid;
    out.text = crypto::openssl_error("X509_STORE_CTX_init");
    return out;
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, std::chrono::system_clock::to_time_t(now));
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    out.error = classify(err);
    out.text = std::string(X509_verify_cert_error_string(err)) + " (certificate depth " +
               std::to_string(X509_STORE_CTX_get_error_depth(ctx.get())) + ")";
    ERR_clear_error();
    return out;
  }
  STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get());
  bool first = true;
  for (int i = 0; i < sk_X509_num(built); ++i) {
    X509* c = sk_X509_value(built, i);
    X509_up_ref(c);
    out.chain.push_back(std::shared_ptr<X509>(c, X509_free));
    auto not_after = asn1_time_point(X509_get0_notAfter(c));
    if (first || not_after < out.earliest_not_after) out.earliest_not_after = not_after;
    first = false;
  }
  return out;
}

}  // namespace chrysalis::attest
