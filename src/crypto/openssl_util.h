#pragma once
#include <openssl/err.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace chrysalis::crypto {

// Text of the newest OpenSSL error, for messages that name what failed.
inline std::string openssl_error(const std::string& what) {
  unsigned long code = ERR_get_error();
  char buf[256] = {0};
  if (code) ERR_error_string_n(code, buf, sizeof buf);
  return what + (code ? std::string(": ") + buf : std::string());
}

template <typename T, void (*Free)(T*)>
struct OsslDeleter {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using OsslPtr = std::unique_ptr<T, OsslDeleter<T, Free>>;

}  // namespace chrysalis::crypto
