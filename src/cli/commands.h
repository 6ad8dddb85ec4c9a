#pragma once
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

namespace chrysalis::cli {

// Exit statuses every subcommand shares: 1 for a check that refused, 2 for a bad command line.
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;

// Prints "error: <message>" and ends the command with kExitUsage.
[[noreturn]] inline void usage_error(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  throw CLI::RuntimeError(kExitUsage);
}

// The same as an exception to throw, with CLI11 printing the message.
inline CLI::RuntimeError usage(const std::string& message) { return CLI::RuntimeError(message, kExitUsage); }

void register_model_commands(CLI::App& app);
void register_node_commands(CLI::App& app);
void register_local_commands(CLI::App& app);
void register_devnet_commands(CLI::App& app);
void register_wallet_commands(CLI::App& app);  // wallet new, address, status
void register_wallet_client_commands(CLI::App& app);  // wallet topup, withdraw, close (after register_wallet_commands)
void register_wallet_proxy_commands(CLI::App& app);   // wallet proxy-close (after register_wallet_commands)
void register_ton_chain_commands(CLI::App& app);      // ton root show (group shared, get-or-create)
// ton root add-image|remove-image|add-model|remove-model|set-prices|set-params|add-proxy|remove-proxy|transfer-owner
void register_ton_root_govern_commands(CLI::App& app);
void register_ton_root_deploy_command(CLI::App& app);  // ton root deploy
void register_worker_claim_command(CLI::App& app);     // worker claim (after register_node_commands)  // ton root allow|disallow (after register_ton_chain_commands)
void register_ton_commands(CLI::App& app);            // ton address, ton boc inspect (group shared, get-or-create)
void register_attest_ratls_commands(CLI::App& app);  // attest make-cert, inspect, image-hash (group get-or-create)
void register_attest_quote_commands(CLI::App& app);  // attest verify, dev-ca (group get-or-create)
void register_attest_gpu_commands(CLI::App& app);
void register_attest_collateral_commands(CLI::App& app);  // attest collateral fetch, dev-collateral    // attest gpu verify (group get-or-create)
void register_receipt_commands(CLI::App& app);       // receipt verify
void register_reputation_commands(CLI::App& app);    // reputation verify

}  // namespace chrysalis::cli
