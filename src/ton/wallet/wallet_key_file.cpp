#include "ton/wallet/wallet_key_file.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "ton/cells/encoding.h"

namespace chrysalis::ton {

namespace fs = std::filesystem;

WalletKeyFile new_wallet_key() {
  std::array<uint8_t, 32> seed{};
  if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1)
    throw std::runtime_error("no randomness for a new key");
  return {Ed25519Key::from_seed(seed), 0};
}

WalletKeyFile devnet_wallet_key(const std::string& name) {
  std::string text = "chrysalis-devnet:" + name;
  std::array<uint8_t, 32> seed{};
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), seed.data(), &len, EVP_sha256(), nullptr);
  return {Ed25519Key::from_seed(seed), 0};
}

void save_wallet_key(const WalletKeyFile& key, const fs::path& file, bool overwrite) {
  if (fs::exists(file) && !overwrite)
    throw std::runtime_error(file.string() +
                             " already exists; refusing to replace a wallet key (pass --force to overwrite)");
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  nlohmann::json j = {{"type", "chrysalis-wallet"},
                      {"version", 1},
                      {"wallet", "v4r2"},
                      {"workchain", key.workchain},
                      {"seed", to_hex(key.key.seed())},
                      {"public_key", to_hex(key.key.public_key())},
                      {"address", key.wallet().address().to_friendly(true, false)}};
  fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
    fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write);
    out << j.dump(2) << "\n";
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, file);
}

WalletKeyFile load_wallet_key(const fs::path& file) {
  std::ifstream in(file);
  if (!in)
    throw std::runtime_error("wallet key " + file.string() +
                             " cannot be read (create one with `chrysalis wallet new`)");
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
    throw std::runtime_error("wallet key " + file.string() + " is accessible by other users; chmod 600 it");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (!j.is_object()) throw std::runtime_error("wallet key " + file.string() + " is not JSON");
  if (j.value("type", "") != "chrysalis-wallet" || j.value("wallet", "") != "v4r2")
    throw std::runtime_error("wallet key " + file.string() + " is not a chrysalis v4r2 wallet key");
  Bytes seed;
  try {
    seed = from_hex(j.value("seed", ""));
  } catch (const std::invalid_argument&) {
  }
  if (seed.size() != 32) throw std::runtime_error("wallet key " + file.string() + ": 'seed' must be 64 hex characters");
  WalletKeyFile key{Ed25519Key::from_seed(seed), j.value("workchain", 0)};
  if (j.contains("public_key") && j["public_key"] != to_hex(key.key.public_key()))
    throw std::runtime_error("wallet key " + file.string() + ": 'public_key' does not belong to the seed");
  return key;
}

}  // namespace chrysalis::ton
