#include "cli/subcommand_group.h"

namespace chrysalis::cli {

CLI::App* subcommand_group(CLI::App& parent, const std::string& name, const std::string& description) {
  auto found = parent.get_subcommands([&](CLI::App* sub) { return sub->get_name() == name; });
  if (!found.empty()) return found.front();
  auto* group = parent.add_subcommand(name, description);
  group->require_subcommand(1);
  return group;
}

CLI::App* attest_group(CLI::App& app) {
  return subcommand_group(app, "attest", "Attestation tools: TDX quotes and collateral, RA-TLS certificates, GPU evidence");
}

CLI::App* ton_group(CLI::App& app) { return subcommand_group(app, "ton", "TON tools: addresses, bags of cells, the chain"); }

}  // namespace chrysalis::cli
