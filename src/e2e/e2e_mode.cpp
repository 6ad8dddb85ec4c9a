#include "e2e/e2e_mode.h"

namespace chrysalis::e2e {

std::optional<Mode> parse_mode(const std::string& text) {
  if (text == "required") return Mode::required;
  if (text == "preferred") return Mode::preferred;
  if (text == "off") return Mode::off;
  return std::nullopt;
}

std::string mode_name(Mode mode) {
  switch (mode) {
    case Mode::required:
      return "required";
    case Mode::preferred:
      return "preferred";
    case Mode::off:
      return "off";
  }
  return "?";
}

}  // namespace chrysalis::e2e
