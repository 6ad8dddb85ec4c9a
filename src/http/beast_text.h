#pragma once
#include <boost/beast/core/string.hpp>

#include <cctype>
#include <string>
#include <string_view>

namespace chrysalis::http {

// Beast 1.74 hands out boost::string_view; the rest of the code speaks std::string_view.
inline std::string_view to_std(boost::beast::string_view text) { return {text.data(), text.size()}; }

// Header names are case-insensitive; we store them lower-case.
inline std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace chrysalis::http
