#include "common/endpoint.h"

#include <charconv>
#include <stdexcept>

namespace chrysalis {

Endpoint parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw std::invalid_argument("bad endpoint '" + text + "': expected host:port");
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  auto tail = text.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), port);
  if (ec != std::errc{} || ptr != tail.data() + tail.size() || port > 65535)
    throw std::invalid_argument("bad port in endpoint '" + text + "'");
  return Endpoint{host, static_cast<uint16_t>(port)};
}

}  // namespace chrysalis
