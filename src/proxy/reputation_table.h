#pragma once
// What the proxy publishes about each worker (docs/reputation.md): lifetime counters per subject
// (the worker's proven owner, else its key) and model — requests, successes, failures by kind,
// spot-check outcomes, TTFT and tokens/s histograms — as the leaves of a Merkle tree whose root the
// proxy signs and commits with its books. GET /reputation serves it with every entry's proof.
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

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

  nlohmann::json json() const;
  // nullopt when `j` is not what json() writes.
  static std::optional<ReputationCounters> from_json(const nlohmann::json& j);
};

class ReputationTable {
 public:
  // Subjects x models kept; beyond it new ones are not counted (and `full` says so on /stats).
  static constexpr std::size_t kMaxEntries = 16384;

  void record(const std::string& subject, const std::string& model, Outcome outcome);
  void record_speed(const std::string& subject, const std::string& model, double ttft_ms, double tokens_per_s);
  void record_spot_check(const std::string& subject, const std::string& model, bool agreed);
  void restore(const std::string& subject, const std::string& model, const ReputationCounters& c);

  // The Merkle root (raw 32 bytes) over every entry, in (subject, model) order.
  std::string root() const;
  // The table as GET /reputation serves it: root, count, time, the proxy's key and signature, and
  // every entry with its index and proof.
  nlohmann::json signed_table(const ton::Ed25519Key& key, uint64_t now_ms) const;
  // `table` with only the entries of `model` listed (their proofs still lead to the whole root).
  static nlohmann::json only_model(const nlohmann::json& table, const std::string& model);
  const std::map<std::pair<std::string, std::string>, ReputationCounters>& entries() const { return entries_; }
  nlohmann::json stats() const;
  // Counts every change, so a publisher can tell the table moved without hashing it.
  uint64_t version() const { return version_; }

 private:
  ReputationCounters* at(const std::string& subject, const std::string& model);
  std::map<std::pair<std::string, std::string>, ReputationCounters> entries_;
  uint64_t refused_ = 0;
  uint64_t version_ = 0;
};

}  // namespace chrysalis::proxy
