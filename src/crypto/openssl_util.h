#pragma once
#include <openssl/err.h>
#include <openssl/objects.h>

#include <algorithm>

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

// Dotted text of an object identifier ("1.2.840.113741.1.13.1"); empty when OpenSSL cannot write it.
inline std::string oid_text(const ASN1_OBJECT* obj) {
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof buf, obj, 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(std::min(n, static_cast<int>(sizeof buf - 1)))) : std::string();
}

template <typename T, void (*Free)(T*)>
struct OsslDeleter {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using OsslPtr = std::unique_ptr<T, OsslDeleter<T, Free>>;

}  // namespace chrysalis::crypto
