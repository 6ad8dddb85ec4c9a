#pragma once
// The client's end-to-end encryption setting (`client.e2e`, README.md in this folder).
#include <optional>
#include <string>

namespace chrysalis::e2e {

// required: sealed or not at all; preferred: plaintext when no worker can take it sealed (logged);
// off: plaintext (logged).
enum class Mode { required, preferred, off };
std::optional<Mode> parse_mode(const std::string& text);
std::string mode_name(Mode mode);

}  // namespace chrysalis::e2e
