#include "proxy/reputation_table.h"

#include <algorithm>

#include "common/hex.h"
#include "receipts/merkle.h"
#include "receipts/reputation_proof.h"

namespace chrysalis::proxy {

namespace {

std::string hex_of(const std::string& raw) {
  return to_hex(std::span(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
}

template <std::size_t N>
std::size_t bucket_of(const std::array<double, N>& edges, double value) {
  return static_cast<std::size_t>(std::lower_bound(edges.begin(), edges.end(), value) - edges.begin());
}

std::vector<std::string> leaves_of(const std::map<std::pair<std::string, std::string>, ReputationCounters>& entries) {
  std::vector<std::string> leaves;
  leaves.reserve(entries.size());
  for (const auto& [id, c] : entries) leaves.push_back(receipts::reputation_leaf(id.first, id.second, c.json()));
  return leaves;
}

}  // namespace

nlohmann::json ReputationCounters::json() const {
  return {{"requests", requests},
          {"successes", successes},
          {"early_errors", early_errors},
          {"timeouts", timeouts},
          {"mid_stream_errors", mid_stream_errors},
          {"spot_agreements", spot_agreements},
          {"spot_disagreements", spot_disagreements},
          {"ttft_ms", ttft_ms},
          {"tokens_per_s", tokens_per_s}};
}

std::optional<ReputationCounters> ReputationCounters::from_json(const nlohmann::json& j) {
  try {
    ReputationCounters c;
    c.requests = j.at("requests");
    c.successes = j.at("successes");
    c.early_errors = j.at("early_errors");
    c.timeouts = j.at("timeouts");
    c.mid_stream_errors = j.at("mid_stream_errors");
    c.spot_agreements = j.at("spot_agreements");
    c.spot_disagreements = j.at("spot_disagreements");
    c.ttft_ms = j.at("ttft_ms");
    c.tokens_per_s = j.at("tokens_per_s");
    return c;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

ReputationCounters* ReputationTable::at(const std::string& subject, const std::string& model) {
  auto id = std::make_pair(subject, model);
  auto it = entries_.find(id);
  if (it != entries_.end()) {
    ++version_;
    return &it->second;
  }
  if (entries_.size() >= kMaxEntries) {
    ++refused_;
    return nullptr;
  }
  ++version_;
  return &entries_[id];
}

void ReputationTable::record(const std::string& subject, const std::string& model, Outcome outcome) {
  auto* c = at(subject, model);
  if (!c) return;
  ++c->requests;
  switch (outcome) {
    case Outcome::Success: ++c->successes; break;
    case Outcome::ErrorBeforeFirstToken: ++c->early_errors; break;
    case Outcome::Timeout: ++c->timeouts; break;
    case Outcome::ErrorAfterFirstToken: ++c->mid_stream_errors; break;
  }
}

void ReputationTable::record_speed(const std::string& subject, const std::string& model, double ttft_ms,
                                   double tokens_per_s) {
  auto* c = at(subject, model);
  if (!c) return;
  if (ttft_ms >= 0) ++c->ttft_ms[bucket_of(ReputationCounters::kTtftMsEdges, ttft_ms)];
  if (tokens_per_s > 0) ++c->tokens_per_s[bucket_of(ReputationCounters::kTokensPerSEdges, tokens_per_s)];
}

void ReputationTable::record_spot_check(const std::string& subject, const std::string& model, bool agreed) {
  auto* c = at(subject, model);
  if (!c) return;
  ++(agreed ? c->spot_agreements : c->spot_disagreements);
}

void ReputationTable::restore(const std::string& subject, const std::string& model, const ReputationCounters& c) {
  if (auto* slot = at(subject, model)) *slot = c;
}

std::string ReputationTable::root() const { return receipts::merkle_root(leaves_of(entries_)); }

nlohmann::json ReputationTable::only_model(const nlohmann::json& table, const std::string& model) {
  nlohmann::json out = table;
  out["entries"] = nlohmann::json::array();
  for (const auto& e : table.value("entries", nlohmann::json::array()))
    if (e.value("model", "") == model) out["entries"].push_back(e);
  return out;
}

nlohmann::json ReputationTable::signed_table(const ton::Ed25519Key& key, uint64_t now_ms) const {
  auto leaves = leaves_of(entries_);
  std::string root = receipts::merkle_root(leaves);
  auto message = receipts::reputation_root_message(root, leaves.size(), now_ms);
  auto sig = key.sign(std::span(reinterpret_cast<const uint8_t*>(message.data()), message.size()));
  nlohmann::json entries = nlohmann::json::array();
  auto paths = receipts::merkle_all_paths(leaves);
  uint64_t index = 0;
  for (const auto& [id, c] : entries_) {
    nlohmann::json proof = nlohmann::json::array();
    for (const auto& step : paths[index]) proof.push_back(hex_of(step));
    entries.push_back({{"index", index}, {"subject", id.first}, {"model", id.second}, {"counters", c.json()},
                       {"proof", std::move(proof)}});
    ++index;
  }
  return {{"root", hex_of(root)},
          {"count", leaves.size()},
          {"generated_ms", now_ms},
          {"proxy_key", to_hex(key.public_key())},
          {"signature", to_hex(sig)},
          {"entries", std::move(entries)}};
}

nlohmann::json ReputationTable::stats() const {
  return {{"entries", entries_.size()}, {"limit", kMaxEntries}, {"refused", refused_}};
}

}  // namespace chrysalis::proxy
