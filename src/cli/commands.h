#pragma once
#include <CLI/CLI.hpp>

namespace chrysalis::cli {

void register_model_commands(CLI::App& app);
void register_node_commands(CLI::App& app);
void register_local_commands(CLI::App& app);

}  // namespace chrysalis::cli
