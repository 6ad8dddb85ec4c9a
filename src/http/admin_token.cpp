#include "http/admin_token.h"

#include <openssl/crypto.h>

#include "common/file_io.h"

namespace chrysalis::http {

AdminToken::AdminToken(const std::filesystem::path& state_dir)
    : file_(state_dir / "admin.token"), token_(read_or_create_secret_token(file_)) {}

bool AdminToken::admits(const Request& request) const {
  auto it = request.headers.find("authorization");
  if (it == request.headers.end()) return false;
  const std::string prefix = "Bearer ";
  if (it->second.size() != prefix.size() + token_.size() || it->second.rfind(prefix, 0) != 0) return false;
  return CRYPTO_memcmp(it->second.data() + prefix.size(), token_.data(), token_.size()) == 0;
}

std::string AdminToken::refusal() const {
  return "admin endpoints need the node's admin token: 'Authorization: Bearer <the contents of " + file_.string() +
         ">'";
}

}  // namespace chrysalis::http
