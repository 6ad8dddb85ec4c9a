#include "billing/billing_settings.h"

#include <stdexcept>

#include "common/toml_reader.h"
#include "ton/wallet/ton_amount.h"

namespace chrysalis::billing {

namespace {

uint64_t ton_value(const TomlReader& r, const std::string& file, const std::string& key, uint64_t fallback,
                   bool allow_zero) {
  if (!r.has(key)) return fallback;
  try {
    return ton::parse_ton_amount(r.string(key, ""), key, allow_zero);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(file + ": '" + key + "': " + e.what() + " (a decimal TON amount such as \"0.5\")");
  }
}

}  // namespace

BillingSettings read_billing_settings(const TomlReader& r, const std::string& file, const std::string& role,
                                      bool has_registry) {
  BillingSettings s;
  s.enabled = r.boolean("billing.enabled", false);
  if (!s.enabled) return s;
  if (!has_registry)
    throw std::runtime_error(file + ": 'billing.enabled' needs [registry] (endpoint and root of the network's chain)");
  s.wallet_key = r.path("billing.wallet_key", "");
  if (s.wallet_key.empty())
    throw std::runtime_error(file +
                             ": 'billing.wallet_key' (the owner's wallet key file, chrysalis wallet new) is required");
  if (role == "proxy") {
    s.proxy_stake_nano = ton_value(r, file, "billing.stake_ton", s.proxy_stake_nano, false);
    s.commit_interval_ms = r.integer("billing.commit_interval_ms", s.commit_interval_ms, 100, 3'600'000);
    s.charge_threshold_nano = ton_value(r, file, "billing.charge_threshold_ton", s.charge_threshold_nano, true);
    s.client_refresh_s = r.integer("billing.client_refresh_s", s.client_refresh_s, 1, 86400);
    s.receipts_kept = static_cast<uint64_t>(
        r.integer("billing.receipts_kept", static_cast<int64_t>(s.receipts_kept), 1, 100'000'000));
  } else if (role == "client") {
    s.deposit_nano = ton_value(r, file, "billing.deposit_ton", s.deposit_nano, false);
    s.stake_nano = ton_value(r, file, "billing.stake_ton", s.stake_nano, true);
    s.topup_below_nano = ton_value(r, file, "billing.topup_below_ton", s.topup_below_nano, true);
    s.auto_topup = r.boolean("billing.auto_topup", true);
  } else if (role == "worker") {
    s.claim_threshold_nano = ton_value(r, file, "billing.claim_threshold_ton", s.claim_threshold_nano, true);
    s.proxy_watch_s = r.integer("billing.proxy_watch_s", s.proxy_watch_s, 1, 3600);
  }
  return s;
}

}  // namespace chrysalis::billing
