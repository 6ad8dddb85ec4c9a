#include "e2e/e2e_info.h"

#include "common/hex.h"

namespace chrysalis::e2e {

std::string exchange_info(const std::string& request_id, const std::string& worker_tls_key_hex,
                          const std::string& worker_e2e_key) {
  // Newline-separated: none of the parts can hold one (request ids are printable ASCII, keys hex).
  return "chrysalis-e2e/1\n" + request_id + "\n" + worker_tls_key_hex + "\n" +
         to_hex({reinterpret_cast<const uint8_t*>(worker_e2e_key.data()), worker_e2e_key.size()});
}

}  // namespace chrysalis::e2e
