#pragma once
// The paid local network's chain: a devnet whose root lists this network's proxy and worker
// images and model, and one wallet per node, each funded from the devnet's giver.
#include <filesystem>
#include <string>

namespace chrysalis::cli {

// `s` in double quotes, for the TOML files the local network writes (paths, addresses, hex: no
// character there needs escaping).
inline std::string toml_quoted(const std::string& s) { return "\"" + s + "\""; }

struct LocalChain {
  std::string endpoint;  // toncenter jsonRPC URL
  std::string root;
  std::string base_url;  // http://127.0.0.1:PORT (the devnet's own endpoints)
};

struct LocalChainHashes {
  std::string proxy_image, worker_image, model;  // 64 hex each
};

// Starts `chrysalis devnet` detached (pid file dir/devnet.pid, log dir/devnet.log) on a fresh
// chain and waits for it to listen. Throws std::runtime_error with the log's tail.
LocalChain start_local_chain(const std::filesystem::path& self, const std::filesystem::path& dir, int port,
                             const LocalChainHashes& hashes);

// A fresh wallet key for `name` (dir/<name>.wallet.json), funded with `ton` from the giver.
std::filesystem::path funded_wallet(const LocalChain& chain, const std::filesystem::path& dir, const std::string& name,
                                    const std::string& ton);

// The root's owner registers the proxy's public key (64 hex) in the devnet's root: clients and
// workers refuse a proxy the root does not list. Throws std::runtime_error.
void register_proxy(const LocalChain& chain, const std::string& public_key_hex, const std::string& workers_endpoint,
                    const std::string& clients_endpoint);

// The [registry] and [billing] sections of a node of `role` paying/paid through `wallet`.
std::string paid_sections(const LocalChain& chain, const std::string& role, const std::filesystem::path& wallet);

}  // namespace chrysalis::cli
