#pragma once
// Asking the operator before a command signs and sends something that cannot be taken back.
#include <nlohmann/json.hpp>

#include <string>

namespace chrysalis::cli {

// Prints `title` and `plan` to stderr; with `yes` goes on at once. Otherwise asks `question` on the
// terminal (anything but y/yes declines); without a terminal it refuses with exit code 2, naming --yes.
bool confirmed(const std::string& title, const nlohmann::json& plan, const std::string& question, bool yes);

}  // namespace chrysalis::cli
