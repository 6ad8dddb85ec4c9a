#include "billing/billing_hello.h"

#include <stdexcept>
#include <string>

#include "ton/cells/encoding.h"

namespace chrysalis::billing {

namespace {
constexpr char kHelloContext[] = "chrysalis-billing-hello";
constexpr char kOwnerContext[] = "chrysalis-worker-owner/1";
}

std::vector<uint8_t> worker_owner_message(const ton::PublicKey& worker_tls, const ton::PublicKey& proxy_tls) {
  std::vector<uint8_t> m(kOwnerContext, kOwnerContext + sizeof(kOwnerContext) - 1);
  m.insert(m.end(), worker_tls.begin(), worker_tls.end());
  m.insert(m.end(), proxy_tls.begin(), proxy_tls.end());
  return m;
}

std::vector<uint8_t> billing_hello_message(const ton::PublicKey& client_tls, const ton::PublicKey& proxy_tls) {
  std::vector<uint8_t> m(kHelloContext, kHelloContext + sizeof(kHelloContext) - 1);
  m.insert(m.end(), client_tls.begin(), client_tls.end());
  m.insert(m.end(), proxy_tls.begin(), proxy_tls.end());
  return m;
}

ton::PublicKey public_key_from_hex(const std::string& hex, const std::string& what) {
  ton::Bytes raw;
  try {
    raw = ton::from_hex(hex);
  } catch (const std::exception&) {
  }
  if (raw.size() != 32) throw std::invalid_argument(what + " is not a 32-byte Ed25519 public key");
  ton::PublicKey out{};
  std::copy(raw.begin(), raw.end(), out.begin());
  return out;
}

}  // namespace chrysalis::billing
