#include "common/url.h"

#include <cctype>
#include <charconv>

#include "common/hex.h"

namespace chrysalis {
namespace {

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

// Splits "host[:port]" / "[v6][:port]" into host and port; default_port when none is given.
bool split_authority(std::string_view authority, uint16_t default_port, Url& url, std::string* error) {
  std::string_view host = authority;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail(error, "unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return fail(error, "unexpected text after IPv6 address");
      port_text = rest.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  if (host.empty()) return fail(error, "missing host");
  url.host = std::string(host);
  url.port = default_port;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
      return fail(error, "invalid port '" + std::string(port_text) + "'");
    url.port = static_cast<uint16_t>(value);
  }
  return true;
}

}  // namespace

std::string Url::authority() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Url::target_for(std::string_view target) const {
  if (target.empty()) {
    std::string own = path.empty() ? "/" : path;
    if (!query.empty()) own += "?" + query;
    return own;
  }
  std::string joined = path;
  if (target.front() != '/') joined += '/';
  joined += target;
  return joined;
}

std::optional<Url> parse_url(std::string_view text, std::string* error) {
  Url url;
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    fail(error, "URL '" + std::string(text) + "' has no scheme (expected http://host:port)");
    return std::nullopt;
  }
  url.scheme = std::string(text.substr(0, scheme_end));
  for (auto& c : url.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (url.scheme != "http" && url.scheme != "https") {
    fail(error, "URL '" + std::string(text) + "': only http:// and https:// are supported");
    return std::nullopt;
  }
  auto rest = text.substr(scheme_end + 3);
  auto authority_end = rest.find_first_of("/?#");
  auto authority = rest.substr(0, authority_end);
  std::string why;
  if (!split_authority(authority, url.scheme == "https" ? 443 : 80, url, &why)) {
    fail(error, "URL '" + std::string(text) + "': " + why);
    return std::nullopt;
  }
  if (authority_end != std::string_view::npos) {
    auto tail = rest.substr(authority_end);
    tail = tail.substr(0, tail.find('#'));
    auto q = tail.find('?');
    if (q != std::string_view::npos) {
      url.query = std::string(tail.substr(q + 1));
      tail = tail.substr(0, q);
    }
    while (!tail.empty() && tail.back() == '/') tail.remove_suffix(1);
    url.path = std::string(tail);
  }
  return url;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = hex_digit_value(text[i + 1]), lo = hex_digit_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> result;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value = eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1), true);
    result[std::move(key)] = std::move(value);
  }
  return result;
}

}  // namespace chrysalis
