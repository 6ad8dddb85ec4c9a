#pragma once
// Certificate-chain check shared by the PCK chain and the collateral signing chains: builds
// leaf <- intermediates <- a trust anchor with OpenSSL at a given time (validity windows, CA
// basicConstraints, signatures). Roots carried in the chain itself are never trusted.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "attest/quote/quote_trust_anchors.h"

namespace chrysalis::attest {

enum class ChainError { none, invalid, untrusted, expired };

struct ChainCheck {
  ChainError error = ChainError::none;
  std::string text;                          // OpenSSL's reason and the certificate depth
  std::vector<std::shared_ptr<X509>> chain;  // leaf first, the anchor last (when verified)
  std::chrono::system_clock::time_point earliest_not_after{};
  bool ok() const { return error == ChainError::none; }
};

ChainCheck verify_chain(const std::vector<std::shared_ptr<X509>>& certs, const TrustAnchors& anchors,
                        std::chrono::system_clock::time_point now);

}  // namespace chrysalis::attest
