#include "api/request_id.h"

#include <algorithm>
#include <cctype>

#include "common/random.h"

namespace chrysalis::api {
namespace {

constexpr std::size_t kMaxAppIdChars = 64;

bool allowed(unsigned char c) { return std::isalnum(c) || c == '.' || c == '_' || c == ':' || c == '-'; }

}  // namespace

std::variant<RequestIds, ApiError> request_ids(const std::map<std::string, std::string>& headers) {
  RequestIds ids;
  if (auto it = headers.find("x-request-id"); it != headers.end()) {
    const std::string& app = it->second;
    if (app.empty() || app.size() > kMaxAppIdChars || !std::all_of(app.begin(), app.end(), allowed))
      return invalid_request("invalid_request_id",
                             "header 'X-Request-Id' must be 1 to 64 characters of letters, digits and . _ : -",
                             "X-Request-Id");
    ids.app = app;
  }
  ids.network = ids.app.empty() ? random_hex(12) : ids.app + "~" + random_hex(6);
  return ids;
}

}  // namespace chrysalis::api
