#pragma once
// The worker's side of payment: the latest proxy-signed cumulative payout per proxy, checked as
// its worker contract would check it, never allowed to go down (a proxy whose signed amount
// falls is dropped: it was rolled back or is cheating), and what is due for a claim in nanoTON.
// Kept in a JSON file (written atomically) so a restart loses no signed amount.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "ton/cells/address.h"
#include "ton/cells/cell.h"
#include "ton/wallet/ed25519_key.h"

namespace chrysalis::billing {

struct PayoutRecord {
  std::string proxy;            // the proxy's id (its public key, hex)
  std::string worker_contract;  // raw address
  uint64_t signed_tokens = 0;   // largest cumulative amount signed for us
  std::string signed_body_boc;  // base64 BoC of that body: what a claim sends
  uint64_t claimed_tokens = 0;  // what our claims have already been paid for
  bool dropped = false;
  std::string drop_reason;
};

class PayoutBook {
 public:
  enum class Verdict { Accepted, Unchanged, Refused, Dropped };
  struct Result {
    Verdict verdict;
    std::string reason;  // for Refused and Dropped
  };

  // `state_file` empty: memory only. Throws std::runtime_error naming a corrupt file.
  PayoutBook(ton::Address root, uint64_t worker_fee_per_token, std::filesystem::path state_file);

  // A signed payout body from the proxy with `proxy_key` for our `worker_contract`.
  Result accept(const ton::PublicKey& proxy_key, const ton::Address& worker_contract, const ton::CellRef& body);
  // nanoTON signed but not yet claimed from that proxy.
  uint64_t unclaimed_nano(const std::string& proxy) const;
  // Proxies whose unclaimed amount reaches `threshold_nano` (dropped ones too: what they signed before
  // cheating is still owed).
  std::vector<std::string> due(uint64_t threshold_nano) const;
  // A claim for `tokens` went through on chain.
  void mark_claimed(const std::string& proxy, uint64_t tokens);
  std::optional<PayoutRecord> record(const std::string& proxy) const;
  nlohmann::json stats() const;

 private:
  void save() const;
  ton::Address root_;
  uint64_t fee_;
  std::filesystem::path file_;
  std::map<std::string, PayoutRecord> records_;
};

}  // namespace chrysalis::billing
