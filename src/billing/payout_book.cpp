#include "billing/payout_book.h"

#include <fstream>
#include <sstream>

#include "billing/pricing.h"
#include "ton/cells/boc.h"
#include "ton/cells/encoding.h"
#include "ton/contracts/chrysalis_contracts.h"
#include "ton/contracts/contract_signed.h"

namespace chrysalis::billing {

namespace fs = std::filesystem;
namespace contracts = ton::contracts;

namespace {

const char* check_name(int code) {
  switch (code) {
    case contracts::error::kBadSignature:
      return "the signature is not the proxy's";
    case contracts::error::kWrongOp:
      return "it is not a worker payout";
    case contracts::error::kWrongTarget:
      return "it is signed for another worker contract";
    case contracts::error::kWrongRoot:
      return "it is signed for another network (root)";
    default:
      return "the worker contract would refuse it";
  }
}

}  // namespace

PayoutBook::PayoutBook(ton::Address root, uint64_t worker_fee_per_token, fs::path state_file)
    : root_(std::move(root)), fee_(worker_fee_per_token), file_(std::move(state_file)) {
  if (file_.empty() || !fs::exists(file_)) return;
  std::ifstream in(file_);
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (!j.is_object() || !j.contains("payouts") || !j["payouts"].is_array())
    throw std::runtime_error("payout state " + file_.string() + " is corrupt (expected {\"payouts\": [...]})");
  for (auto& p : j["payouts"]) {
    PayoutRecord r;
    r.proxy = p.value("proxy", "");
    r.worker_contract = p.value("worker_contract", "");
    r.signed_tokens = p.value("signed_tokens", uint64_t{0});
    r.signed_body_boc = p.value("signed_body_boc", "");
    r.claimed_tokens = p.value("claimed_tokens", uint64_t{0});
    r.dropped = p.value("dropped", false);
    r.drop_reason = p.value("drop_reason", "");
    if (r.proxy.empty() || r.claimed_tokens > r.signed_tokens)
      throw std::runtime_error("payout state " + file_.string() + " has an inconsistent record");
    records_[r.proxy] = r;
  }
}

PayoutBook::Result PayoutBook::accept(const ton::PublicKey& proxy_key, const ton::Address& worker_contract,
                                      const ton::CellRef& body) {
  std::string proxy = ton::to_hex(proxy_key);
  contracts::SignedBody parsed;
  try {
    parsed = contracts::parse_signed_body(body);
  } catch (const std::exception& e) {
    return {Verdict::Refused, std::string("malformed signed payout: ") + e.what()};
  }
  if (parsed.op != contracts::op::kWorkerPayout)
    return {Verdict::Refused, "the message is not a worker payout (op " + std::to_string(parsed.op) + ")"};
  if (int code = contracts::check_signed_body(parsed, proxy_key, worker_contract, root_); code != 0)
    return {Verdict::Refused, std::string("signed payout refused: ") + check_name(code)};
  if (auto it = records_.find(proxy); it != records_.end() && it->second.worker_contract != worker_contract.to_raw()) {
    // The proxy settles through another contract now (the network's params changed): what it
    // signed for our old worker contract stays owed and claimable under its own entry.
    PayoutRecord old = it->second;
    std::string archived = proxy + "@" + old.worker_contract;
    old.proxy = archived;
    records_[archived] = old;
    records_.erase(it);
  }
  auto& r = records_[proxy];
  if (r.proxy.empty()) {
    r.proxy = proxy;
    r.worker_contract = worker_contract.to_raw();
  }
  if (r.dropped) return {Verdict::Dropped, "proxy was dropped earlier: " + r.drop_reason};
  uint64_t amount = parsed.payload.amount;
  if (amount < r.signed_tokens) {
    r.dropped = true;
    r.drop_reason = "its signed payout went down from " + std::to_string(r.signed_tokens) + " to " +
                    std::to_string(amount) + " tokens (a rolled-back or cheating proxy)";
    save();
    return {Verdict::Dropped, r.drop_reason};
  }
  if (amount == r.signed_tokens) return {Verdict::Unchanged, ""};
  r.signed_tokens = amount;
  r.signed_body_boc = ton::boc_to_base64(body);
  save();
  return {Verdict::Accepted, ""};
}

uint64_t PayoutBook::unclaimed_nano(const std::string& proxy) const {
  auto it = records_.find(proxy);
  if (it == records_.end()) return 0;
  return checked_mul(it->second.signed_tokens - it->second.claimed_tokens, fee_);
}

std::vector<std::string> PayoutBook::due(uint64_t threshold_nano) const {
  std::vector<std::string> out;
  for (auto& [proxy, r] : records_)
    // A dropped proxy's best signed amount is still valid on chain: it is claimed like any other.
    if (r.signed_tokens > r.claimed_tokens && unclaimed_nano(proxy) >= threshold_nano) out.push_back(proxy);
  return out;
}

void PayoutBook::mark_claimed(const std::string& proxy, uint64_t tokens) {
  auto it = records_.find(proxy);
  if (it == records_.end()) throw std::invalid_argument("no payouts from proxy " + proxy);
  if (tokens > it->second.signed_tokens)
    throw std::invalid_argument("claimed " + std::to_string(tokens) + " tokens, more than the " +
                                std::to_string(it->second.signed_tokens) + " signed");
  it->second.claimed_tokens = std::max(it->second.claimed_tokens, tokens);
  save();
}

std::optional<PayoutRecord> PayoutBook::record(const std::string& proxy) const {
  auto it = records_.find(proxy);
  return it == records_.end() ? std::nullopt : std::optional(it->second);
}

nlohmann::json PayoutBook::stats() const {
  nlohmann::json arr = nlohmann::json::array();
  uint64_t pending = 0;
  for (auto& [proxy, r] : records_) {
    arr.push_back({{"proxy", proxy},
                   {"worker_contract", r.worker_contract},
                   {"signed_tokens", r.signed_tokens},
                   {"claimed_tokens", r.claimed_tokens},
                   {"unclaimed_nano", std::to_string(unclaimed_nano(proxy))},
                   {"dropped", r.dropped},
                   {"drop_reason", r.drop_reason}});
    pending += unclaimed_nano(proxy);
  }
  return {{"payouts", arr}, {"pending_claims_nano", std::to_string(pending)}};
}

void PayoutBook::save() const {
  if (file_.empty()) return;
  nlohmann::json arr = nlohmann::json::array();
  for (auto& [proxy, r] : records_)
    arr.push_back({{"proxy", r.proxy},
                   {"worker_contract", r.worker_contract},
                   {"signed_tokens", r.signed_tokens},
                   {"signed_body_boc", r.signed_body_boc},
                   {"claimed_tokens", r.claimed_tokens},
                   {"dropped", r.dropped},
                   {"drop_reason", r.drop_reason}});
  fs::path tmp = file_.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << nlohmann::json{{"payouts", arr}}.dump(2) << "\n";
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, file_);  // atomic: a crash leaves the old or the new file, never half of one
}

}  // namespace chrysalis::billing
