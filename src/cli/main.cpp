#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"chrysalis: confidential, decentralized AI inference on TON"};
  app.require_subcommand(1);
  chrysalis::cli::register_node_commands(app);
  chrysalis::cli::register_worker_claim_command(app);
  chrysalis::cli::register_model_commands(app);
  chrysalis::cli::register_local_commands(app);
  chrysalis::cli::register_devnet_commands(app);
  chrysalis::cli::register_wallet_commands(app);
  chrysalis::cli::register_wallet_client_commands(app);
  chrysalis::cli::register_wallet_proxy_commands(app);
  chrysalis::cli::register_ton_chain_commands(app);
  chrysalis::cli::register_ton_root_govern_commands(app);
  chrysalis::cli::register_ton_root_deploy_command(app);
  chrysalis::cli::register_ton_commands(app);
  chrysalis::cli::register_attest_quote_commands(app);
  chrysalis::cli::register_attest_gpu_commands(app);
  chrysalis::cli::register_attest_collateral_commands(app);
  chrysalis::cli::register_attest_ratls_commands(app);
  chrysalis::cli::register_receipt_commands(app);
  chrysalis::cli::register_reputation_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    // CLI11 prints nothing for runtime errors: say what went wrong (the bare default has no news).
    std::string what = e.what();
    if (!what.empty() && what != "Runtime error")
      std::cerr << (what.rfind("error: ", 0) == 0 ? "" : "error: ") << what << "\n";
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
