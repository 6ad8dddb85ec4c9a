#pragma once
// The operator's token for a node's /admin endpoints: STATE_DIR/admin.token, created 0600 at first
// start. Anything that can move money or change what a node serves needs it, so a web page the
// operator happens to visit (or another user of the machine) cannot.
#include <filesystem>
#include <string>

#include "http/http_server.h"

namespace chrysalis::http {

class AdminToken {
 public:
  // Reads or creates the token file; throws when it is readable by other users.
  explicit AdminToken(const std::filesystem::path& state_dir);
  // The request carries "Authorization: Bearer <token>" (compared in constant time).
  bool admits(const Request& request) const;
  // Why a request without it is refused, naming where the token is.
  std::string refusal() const;
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  std::string token_;
};

}  // namespace chrysalis::http
