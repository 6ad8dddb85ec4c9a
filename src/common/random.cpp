#include "common/random.h"

#include "common/hex.h"

#include <openssl/rand.h>

#include <random>
#include <stdexcept>
#include <vector>

namespace chrysalis {

std::string random_hex(std::size_t bytes) {
  std::vector<uint8_t> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  return to_hex(buf);
}

std::string random_bytes(std::size_t bytes) {
  std::string buf(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(buf.data()), static_cast<int>(buf.size())) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return buf;
}

double random_unit() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace chrysalis
