#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "chrysalis.pb.h"
#include "proxy/reputation_table.h"
#include "proxy/routing_affinity.h"
#include "proxy/routing_config.h"
#include "proxy/routing_reputation.h"
#include "proxy/routing_reputation_store.h"
#include "proxy/routing_selection_policy.h"

namespace chrysalis::proxy {

// The proxy's routing memory: the configured policy, every worker's reputation (persisted),
// prompt-prefix affinity and the typical answer length per model. Times are wall-clock so that
// saved reputations decay correctly across restarts.
class RoutingState {
 public:
  // `db_file` empty: nothing is persisted.
  RoutingState(RoutingConfig config, std::filesystem::path db_file);
  const RoutingConfig& config() const { return config_; }
  std::size_t loaded() const { return loaded_; }

  RequestShape shape(const std::string& model, uint32_t max_tokens, uint64_t prompt_tokens) const;
  uint64_t prefix_hash(const nlohmann::json& body) const;
  // Fills the reputation, speed, RTT and affinity inputs of a candidate; `affinity_key` is
  // affinity_worker() of the request's prompt prefix ("" when none), looked up once per selection.
  void describe(WorkerCandidate& c, const std::string& key, double rtt_ms, const std::string& affinity_key);
  // With a deadline, the cheapest worker predicted to meet it (routing_deadline.h); else the policy.
  // `price_per_token` (0: unpaid) only words the reason.
  WorkerChoice choose(const std::vector<WorkerCandidate>& candidates, const std::string& model,
                      uint32_t max_coefficient, const RequestShape& shape, uint32_t ttft_deadline_ms = 0,
                      uint64_t price_per_token = 0);
  // Coefficient bands of 0.1x up to 10x (and one for above): the dispatch table's bound.
  static constexpr uint32_t kMaxBand = 10000;
  static constexpr std::size_t kMaxDispatchBands = kMaxBand / 100 + 1;
  // Models whose dispatch bands are kept apart (workers see them); further models count only in total.
  static constexpr std::size_t kMaxDispatchModels = 256;
  // A request for `model` was sent to a worker at `coefficient`: counted per price band for /stats
  // and for the model's workers.
  void record_dispatch(const std::string& model, uint32_t coefficient);
  // (band, requests) for `model`, lowest band first.
  std::vector<std::pair<uint32_t, uint64_t>> dispatched(const std::string& model) const;

  // The worker with TLS key `key` proved its owner wallet (raw address; empty: none): its outcomes
  // count for the owner too, and the owner's record bounds its trust and decides its trial, so a
  // new key under the same owner inherits the record.
  // `owner_proof` (a serialized BillingHello) goes with every published event of the key, so a
  // checker can link the key to the owner's entry.
  void set_owner(const std::string& key, const std::string& owner, const std::string& owner_proof = "");
  // Who the published counters are about: "owner:<address>" when proven, else the key.
  std::string subject_of(const std::string& key) const;
  const ReputationTable& table() const { return table_; }
  static constexpr std::size_t kMaxOwnerLinks = 65536;

  // An attempt's outcome; `receipt` is the worker's signed receipt when it sent one (the published
  // event carries it as evidence). An answer whose receipt is missing counts as a mid-stream error:
  // the worker gave the client something it would not sign for.
  void record(const std::string& key, const std::string& model, Outcome outcome, const std::string& request_id = "",
              const proto::Receipt* receipt = nullptr);
  // A finished answer: what reputation learns about speed.
  struct Answer {
    std::string request_id;
    double ttft_ms = -1, generation_ms = 0;
    uint64_t completion_tokens = 0, prompt_tokens = 0;
    uint32_t running_before = 0;
    const proto::Receipt* receipt = nullptr;  // the worker's, verified by the flow; null: none came
  };
  void record_answer(const std::string& key, const std::string& model, const Answer& answer);
  // A spot-check verdict; `receipts` are every run's (the worker's own at `self`).
  void record_spot_check(const std::string& key, const std::string& model, bool agreed,
                         const std::string& request_id = "", std::size_t self = 0,
                         const std::vector<proto::Receipt>& receipts = {});
  void remember_prefix(uint64_t hash, const std::string& key) { affinity_.remember(hash, key); }
  // The key of the worker that last served this prompt prefix; "" when none.
  std::string affinity_worker(uint64_t hash) const { return affinity_.worker_for(hash); }
  bool spot_check_due() { return config_.spot_check_rate > 0 && unit_(rng_) < config_.spot_check_rate; }

  nlohmann::json worker_json(const std::string& key, const std::string& model);
  // Per model: best and median reputation score of the given workers.
  nlohmann::json model_json(const std::string& model, const std::vector<std::string>& keys);
  nlohmann::json json() const;
  // Writes the book when the last save is older than a few seconds (or `force`).
  void save(bool force = false);

 private:
  RoutingConfig config_;
  ReputationBook book_;
  std::unique_ptr<SelectionPolicy> policy_;
  std::unique_ptr<ReputationStore> store_;
  PrefixAffinity affinity_;
  std::map<std::string, double> typical_tokens_;   // EWMA of completion tokens per model
  std::map<uint32_t, uint64_t> dispatch_by_band_;  // coefficient rounded down to 100 -> requests
  std::map<std::string, std::string> owners_;      // worker key -> proven owner address
  std::map<std::string, std::string> owner_proofs_;  // worker key -> its owner proof (BillingHello bytes)
  // Publishes `event` for the key's subject; logs an event the table refuses (a bug, not input).
  void publish(const std::string& key, const std::string& model, const nlohmann::json& event);
  std::string owner_proof_of(const std::string& key) const;
  ReputationTable table_;
  // The owner's own record in the book (one per owner and model); null when the key has no owner.
  Reputation* owner_record(const std::string& key, const std::string& model);
  std::map<std::string, std::map<uint32_t, uint64_t>> dispatch_by_model_;  // the same per model
  std::mt19937_64 rng_;
  std::uniform_real_distribution<> unit_{0, 1};
  std::size_t loaded_ = 0;
  int64_t saved_us_ = 0;
  // Book keys changed since the last save (the table keeps its own list).
  std::unordered_set<std::string> unsaved_keys_;
  std::size_t last_save_rows_ = 0;
  void changed(const std::string& key, const std::string& model);
};

}  // namespace chrysalis::proxy
