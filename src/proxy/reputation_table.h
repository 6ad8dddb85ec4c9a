#pragma once
// What the proxy publishes about each worker (docs/reputation.md): lifetime counters per subject
// (the worker's proven owner, else its key) and model — requests, successes, failures by kind,
// spot-check outcomes, TTFT and tokens/s histograms — as the leaves of a Merkle tree whose root the
// proxy signs and commits with its books. GET /reputation serves it with every entry's proof.
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "proxy/routing_reputation.h"
#include "ton/wallet/ed25519_key.h"

namespace chrysalis::proxy {

struct ReputationCounters {
  // Histogram upper edges (the last bucket is everything above the one before).
  static constexpr std::array<double, 7> kTtftMsEdges = {100, 250, 500, 1000, 2500, 5000, 10000};
  static constexpr std::array<double, 7> kTokensPerSEdges = {1, 5, 10, 25, 50, 100, 250};

  uint64_t requests = 0, successes = 0, early_errors = 0, timeouts = 0, mid_stream_errors = 0;
  uint64_t spot_agreements = 0, spot_disagreements = 0;
  std::array<uint64_t, 8> ttft_ms{}, tokens_per_s{};
  // How many events (reputation_event.h) made these counters, and the hash chain over them (raw
  // 32 bytes; empty: none yet).
  uint64_t events = 0;
  std::string head;

  nlohmann::json json() const;
  // nullopt when `j` is not what json() writes.
  static std::optional<ReputationCounters> from_json(const nlohmann::json& j);
};

class ReputationTable {
 public:
  // Subjects x models kept; beyond it new ones are not counted (and `full` says so on /stats).
  static constexpr std::size_t kMaxEntries = 16384;
  // The newest events kept per entry for checkers to replay, and in all (the rest are folded into
  // each entry's base, which a checker takes on trust from an earlier table).
  static constexpr std::size_t kEventsPerEntry = 16;
  static constexpr std::size_t kMaxEventsKept = 65536;

  // An entry's recent past as served: the counters before its kept events, and those events
  // (canonical JSON text, as hashed into the head).
  struct History {
    ReputationCounters base;
    std::vector<std::shared_ptr<const std::string>> events;
  };
  using Id = std::pair<std::string, std::string>;  // (subject, model)

  // Counts `event` (reputation_event.h) for (subject, model): the counters are a fold over events.
  // Returns false when the event is not one (a programming error: logged by the caller).
  bool record(const std::string& subject, const std::string& model, const nlohmann::json& event);
  void restore(const std::string& subject, const std::string& model, const ReputationCounters& c);

  // The Merkle root (raw 32 bytes) over every entry, in (subject, model) order.
  std::string root() const;
  // The table as GET /reputation serves it: root, count, time, the proxy's key and signature, and
  // every entry with its index and proof. With `histories`, every entry's History at this moment.
  nlohmann::json signed_table(const ton::Ed25519Key& key, uint64_t now_ms,
                              std::map<Id, History>* histories = nullptr) const;
  // `table` with only the entries of `model` listed (their proofs still lead to the whole root).
  static nlohmann::json only_model(const nlohmann::json& table, const std::string& model);
  // Adds each listed entry's `history` {base, events} from `histories`, for at most `limit` entries
  // (the rest get `history_omitted`).
  static void add_histories(nlohmann::json& table, const std::map<Id, History>& histories, std::size_t limit);
  const ReputationCounters* find(const std::string& subject, const std::string& model) const;
  std::size_t size() const { return entries_.size(); }
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& [id, e] : entries_) f(id, e.counters);
  }
  nlohmann::json stats() const;
  // Entries whose counters changed since mark_saved(): all a save has to write (at 10,000 workers,
  // writing every entry every few seconds stalled the proxy's loop).
  const std::set<Id>& unsaved() const { return unsaved_; }
  void mark_saved() { unsaved_.clear(); }
  // Counts every change, so a publisher can tell the table moved without hashing it.
  uint64_t version() const { return version_; }

 private:
  struct Entry {
    ReputationCounters counters, base;
    std::deque<std::pair<uint64_t, std::shared_ptr<const std::string>>> window;  // (sequence, event)
  };
  Entry* at(const std::string& subject, const std::string& model);
  void fold_oldest(Entry& e);
  std::map<Id, Entry> entries_;
  // Every kept event's (sequence, entry) in the order recorded: the oldest is folded first.
  std::deque<std::pair<uint64_t, Id>> kept_order_;
  std::size_t kept_ = 0;
  std::size_t kept_bytes_ = 0;
  std::set<Id> unsaved_;
  uint64_t next_sequence_ = 0;
  uint64_t refused_ = 0;
  uint64_t version_ = 0;
};

}  // namespace chrysalis::proxy
