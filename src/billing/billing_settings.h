#pragma once
// The [billing] section of proxy, client and worker configs. Amounts are decimal TON strings
// ("0.5"); the chain (endpoint, root) is the one [registry] names, so billing needs [registry].
#include <cstdint>
#include <filesystem>
#include <string>

namespace chrysalis {
class TomlReader;
}

namespace chrysalis::billing {

struct BillingSettings {
  bool enabled = false;
  std::filesystem::path wallet_key;  // the owner's wallet (chrysalis wallet new)
  // proxy
  uint64_t proxy_stake_nano = 1'000'000'000;     // staked when the proxy contract is deployed
  int64_t commit_interval_ms = 5000;             // state commits (and charges) at most this often
  uint64_t charge_threshold_nano = 100'000'000;  // charge a client on chain once this much is committed and unpaid
  int64_t client_refresh_s = 10;                 // re-read every bound client contract this often
  uint64_t receipts_kept = 200'000;              // receipts kept for inclusion proofs (~80 bytes each on disk)
  // client
  uint64_t deposit_nano = 1'000'000'000;    // balance put into each client contract
  uint64_t stake_nano = 1'000'000'000;      // stake kept in each client contract
  uint64_t topup_below_nano = 500'000'000;  // top up by deposit_nano when the balance falls below
  bool auto_topup = true;
  // worker
  uint64_t claim_threshold_nano = 100'000'000;  // claim a proxy's payout once this much is unclaimed
  int64_t proxy_watch_s = 30;  // read each proxy's contract this often: a closing one is claimed from at once
};

// role: proxy | client | worker. Every error names the file and the key. `has_registry`: whether
// [registry] names a chain (billing refuses to start without one).
BillingSettings read_billing_settings(const TomlReader& reader, const std::string& file, const std::string& role,
                                      bool has_registry);

}  // namespace chrysalis::billing
