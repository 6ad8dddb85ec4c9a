#include "cli/confirm.h"

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <iostream>

namespace chrysalis::cli {

bool confirmed(const std::string& title, const nlohmann::json& plan, const std::string& question, bool yes) {
  std::cerr << title << "\n" << plan.dump(2) << "\n";
  if (yes) return true;
  if (!isatty(STDIN_FILENO)) throw CLI::RuntimeError("no terminal to confirm on: pass --yes to go ahead", 2);
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace chrysalis::cli
