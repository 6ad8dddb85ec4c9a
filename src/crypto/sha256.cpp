#include "crypto/sha256.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace chrysalis::crypto {

std::string sha256(std::string_view data) {
  Sha256Stream s;
  s.add(data);
  return s.finish();
}

struct Sha256Stream::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256Stream::Sha256Stream() : ctx_(std::make_unique<Ctx>()) {
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256: EVP_DigestInit_ex failed");
}
Sha256Stream::~Sha256Stream() = default;
Sha256Stream::Sha256Stream(Sha256Stream&&) noexcept = default;
Sha256Stream& Sha256Stream::operator=(Sha256Stream&&) noexcept = default;

void Sha256Stream::add(std::string_view data) {
  if (!ctx_) throw std::logic_error("SHA-256 stream used after finish()");
  if (EVP_DigestUpdate(ctx_->md, data.data(), data.size()) != 1) throw std::runtime_error("SHA-256: update failed");
}

std::string Sha256Stream::finish() {
  if (!ctx_) throw std::logic_error("SHA-256 stream finished twice");
  std::string out(32, '\0');
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 || len != 32)
    throw std::runtime_error("SHA-256: final failed");
  ctx_.reset();
  return out;
}

}  // namespace chrysalis::crypto
