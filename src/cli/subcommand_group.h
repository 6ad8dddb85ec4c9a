#pragma once
// Commands of one group ("attest", "ton", ...) are registered from several files: the first to
// ask creates the group, the others find it.
#include <CLI/CLI.hpp>

#include <string>

namespace chrysalis::cli {

// The subcommand `name` of `parent`, created (requiring one subcommand of its own) if missing.
CLI::App* subcommand_group(CLI::App& parent, const std::string& name, const std::string& description);

// The "attest" and "ton" groups, described once.
CLI::App* attest_group(CLI::App& app);
CLI::App* ton_group(CLI::App& app);

}  // namespace chrysalis::cli
