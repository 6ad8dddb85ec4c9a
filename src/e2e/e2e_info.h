#pragma once
// What binds one e2e exchange (HPKE's info): the request id and the worker's two keys, so a
// sealed body opens only for that request on that worker, and a proxy that renames the request
// or hands the client another worker's certificate makes the exchange fail.
#include <string>

namespace chrysalis::e2e {

// `worker_tls_key_hex`: the worker's certificate key (hex); `worker_e2e_key`: its X25519 key (raw).
std::string exchange_info(const std::string& request_id, const std::string& worker_tls_key_hex,
                          const std::string& worker_e2e_key);

}  // namespace chrysalis::e2e
