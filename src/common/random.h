#pragma once
#include <cstdint>
#include <string>

namespace chrysalis {

// Cryptographically random hex string of `bytes` bytes (OpenSSL RAND_bytes).
std::string random_hex(std::size_t bytes);
// Cryptographically random raw bytes (OpenSSL RAND_bytes).
std::string random_bytes(std::size_t bytes);

// Uniform double in [0, 1) for jitter; not for secrets.
double random_unit();

}  // namespace chrysalis
