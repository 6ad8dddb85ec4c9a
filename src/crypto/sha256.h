#pragma once
// SHA-256 of bytes, raw (32 bytes), through OpenSSL's EVP interface; also incrementally.
#include <memory>
#include <string>
#include <string_view>

namespace chrysalis::crypto {

std::string sha256(std::string_view data);

class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(Sha256Stream&&) noexcept;
  Sha256Stream& operator=(Sha256Stream&&) noexcept;
  void add(std::string_view data);
  // The digest of everything added; the stream is spent afterwards (throws std::logic_error if used again).
  std::string finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace chrysalis::crypto
