#include "proxy/reputation_table.h"

#include <algorithm>

#include "common/hex.h"
#include "proxy/reputation_event.h"
#include "receipts/merkle.h"
#include "receipts/reputation_proof.h"

namespace chrysalis::proxy {

namespace {

template <typename Entries>
std::vector<std::string> leaves_of(const Entries& entries) {
  std::vector<std::string> leaves;
  leaves.reserve(entries.size());
  for (const auto& [id, e] : entries) leaves.push_back(receipts::reputation_leaf(id.first, id.second, e.counters.json()));
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
          {"tokens_per_s", tokens_per_s},
          {"events", events},
          {"head", hex_of(head.empty() ? std::string(32, '\0') : head)}};
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
    // Counters saved before events existed start their chain here.
    c.events = j.value("events", uint64_t{0});
    auto head = from_hex(j.value("head", std::string(64, '0')));
    if (head.size() != 32) return std::nullopt;
    if (head != std::vector<uint8_t>(32, 0)) c.head.assign(head.begin(), head.end());
    return c;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

ReputationTable::Entry* ReputationTable::at(const std::string& subject, const std::string& model) {
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

void ReputationTable::fold_oldest(Entry& e) {
  const std::string& text = *e.window.front().second;
  apply_event(e.base, nlohmann::json::parse(text), text);  // it applied to the counters already, so it applies here
  kept_bytes_ -= text.size();
  e.window.pop_front();
  --kept_;
}

bool ReputationTable::record(const std::string& subject, const std::string& model, const nlohmann::json& event) {
  ReputationCounters next;
  if (auto* e = find(subject, model)) next = *e;
  std::string text = event.dump();  // hashed into the head and kept for checkers: made once
  if (!apply_event(next, event, text).empty()) return false;
  auto* e = at(subject, model);
  if (!e) return true;  // the table is full: not counted, and /stats says so
  e->counters = std::move(next);
  unsaved_.insert({subject, model});
  uint64_t sequence = next_sequence_++;
  kept_bytes_ += text.size();
  e->window.emplace_back(sequence, std::make_shared<const std::string>(std::move(text)));
  ++kept_;
  if (e->window.size() > kEventsPerEntry) fold_oldest(*e);
  kept_order_.emplace_back(sequence, std::make_pair(subject, model));
  if (kept_order_.size() > kMaxEventsKept) {  // the oldest event anywhere goes first
    auto [seq, id] = std::move(kept_order_.front());
    kept_order_.pop_front();
    auto it = entries_.find(id);
    if (it != entries_.end() && !it->second.window.empty() && it->second.window.front().first == seq)
      fold_oldest(it->second);
  }
  return true;
}

const ReputationCounters* ReputationTable::find(const std::string& subject, const std::string& model) const {
  auto it = entries_.find({subject, model});
  return it == entries_.end() ? nullptr : &it->second.counters;
}

void ReputationTable::restore(const std::string& subject, const std::string& model, const ReputationCounters& c) {
  if (auto* slot = at(subject, model)) {
    kept_ -= slot->window.size();
    for (auto& [seq, text] : slot->window) kept_bytes_ -= text->size();
    slot->window.clear();
    slot->counters = c;
    slot->base = c;  // what came before a restart is taken from the last table
  }
}

std::string ReputationTable::root() const { return receipts::merkle_root(leaves_of(entries_)); }

nlohmann::json ReputationTable::only_model(const nlohmann::json& table, const std::string& model) {
  nlohmann::json out = table;
  out["entries"] = nlohmann::json::array();
  for (const auto& e : table.value("entries", nlohmann::json::array()))
    if (e.value("model", "") == model) out["entries"].push_back(e);
  return out;
}

void ReputationTable::add_histories(nlohmann::json& table, const std::map<Id, History>& histories,
                                    std::size_t limit) {
  std::size_t added = 0;
  for (auto& entry : table["entries"]) {
    auto it = histories.find({entry.value("subject", ""), entry.value("model", "")});
    if (it == histories.end()) continue;
    if (added++ >= limit) {
      entry["history_omitted"] = true;
      continue;
    }
    nlohmann::json events = nlohmann::json::array();
    for (const auto& text : it->second.events) events.push_back(nlohmann::json::parse(*text));
    entry["history"] = {{"base", it->second.base.json()}, {"events", std::move(events)}};
  }
}

nlohmann::json ReputationTable::signed_table(const ton::Ed25519Key& key, uint64_t now_ms,
                                             std::map<Id, History>* histories) const {
  auto leaves = leaves_of(entries_);
  std::string root = receipts::merkle_root(leaves);
  auto message = receipts::reputation_root_message(root, leaves.size(), now_ms);
  auto sig = key.sign(std::span(reinterpret_cast<const uint8_t*>(message.data()), message.size()));
  nlohmann::json entries = nlohmann::json::array();
  auto paths = receipts::merkle_all_paths(leaves);
  uint64_t index = 0;
  for (const auto& [id, e] : entries_) {
    const auto& c = e.counters;
    if (histories) {
      auto& h = (*histories)[id];
      h.base = e.base;
      for (const auto& [seq, text] : e.window) h.events.push_back(text);
    }
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
  return {{"entries", entries_.size()},
          {"limit", kMaxEntries},
          {"refused", refused_},
          {"events_kept", kept_},
          {"events_kept_bytes", kept_bytes_},  // their canonical JSON text: the table's memory at scale
          {"events_kept_limit", kMaxEventsKept},
          {"events_kept_per_entry", kEventsPerEntry}};
}

}  // namespace chrysalis::proxy
