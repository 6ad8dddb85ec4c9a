#pragma once
// A wallet key on disk: the Ed25519 seed of a standard v4r2 wallet, as JSON
//   {"type":"chrysalis-wallet","version":1,"wallet":"v4r2","workchain":0,"seed":"<64 hex>"}
// written 0600. The key never leaves the file except to sign.
#include <filesystem>
#include <string>

#include "ton/wallet/ed25519_key.h"
#include "ton/wallet/wallet_v4r2.h"

namespace chrysalis::ton {

struct WalletKeyFile {
  Ed25519Key key;
  int32_t workchain = 0;
  WalletV4R2 wallet() const { return WalletV4R2(key.public_key(), workchain); }
};

// A fresh random key.
WalletKeyFile new_wallet_key();
// The devnet's named development wallet (seed = SHA-256("chrysalis-devnet:" + name), as devnet/src/devnet.mjs).
WalletKeyFile devnet_wallet_key(const std::string& name);

// Writes `file` (0600). Refuses to replace an existing file unless `overwrite`; throws std::runtime_error naming the
// file.
void save_wallet_key(const WalletKeyFile& key, const std::filesystem::path& file, bool overwrite);
// Throws std::runtime_error naming the file and the problem (missing, not JSON, wrong type, bad seed,
// readable by others).
WalletKeyFile load_wallet_key(const std::filesystem::path& file);

}  // namespace chrysalis::ton
