#include "attest/keys/node_signing_key.h"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

#include "attest/quote/quote_crypto.h"

namespace chrysalis::attest {

ton::Ed25519Key node_signing_key(const std::string& key_pem) {
  auto pkey = load_private_key_pem(key_pem);
  std::array<uint8_t, 32> seed{};
  size_t len = seed.size();
  if (EVP_PKEY_get_raw_private_key(pkey.get(), seed.data(), &len) != 1 || len != seed.size())
    throw std::runtime_error("the node's TLS key is not an Ed25519 key: it cannot sign");
  return ton::Ed25519Key::from_seed(seed);
}

}  // namespace chrysalis::attest
