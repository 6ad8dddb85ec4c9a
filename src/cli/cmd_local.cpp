#include "cli/commands.h"
namespace chrysalis::cli {
void register_local_commands(CLI::App& app) {}
}
