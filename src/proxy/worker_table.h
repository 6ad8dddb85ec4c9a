#pragma once
// The proxy's connected workers and the router requests use over them (RequestRouter): choice by
// the routing policy, slots, reputation and the per-worker averages shown on /stats.
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/connection.h"
#include "proxy/admission_queue.h"
#include "proxy/request_router.h"
#include "proxy/routing_state.h"
#include "proxy/selection_timing.h"

namespace chrysalis::proxy {

// A connected worker as the proxy sees it.
struct WorkerEntry {
  std::shared_ptr<net::Connection> conn;
  uint64_t conn_id = 0;  // its key in the table (set by WorkerTable::add)
  std::string key;       // its reputation key: its public key, else "id:" + id (set by WorkerTable::add)
  std::string id;
  std::string model;     // changed only through WorkerTable::set_model (the per-model index follows it)
  std::string model_hash;   // from its RA-TLS certificate; `model` must map to it ([attestation] models)
  std::string certificate;  // DER, as presented: e2e clients check it themselves before sealing for it
  uint32_t coefficient = 1000;
  uint32_t max_concurrent = 1;
  bool enabled = false;
  bool embeddings = false;  // announced: its engine answers /v1/embeddings
  std::string disabled_reason = "no state announced yet";
  uint32_t running = 0;
  double avg_request_ms = 0;  // exponentially weighted
  double avg_ttft_ms = 0;
  uint64_t served = 0, failed = 0, tokens = 0;
  uint64_t last_dispatch = 0;  // sequence number of the last request sent here
  std::string owner;           // billing: the wallet it is paid to, as announced
  std::string proven_owner;    // that wallet (raw), once its key signed for this worker: reputation follows it
  std::string contract;        // billing: its worker contract with this proxy (raw); empty: none announced
  uint64_t payout_sent = 0;    // billing: the largest signed payout sent to it
};

// A deterministic answer a second worker may be asked to repeat (routing_spot_check_runs.cpp).
using SpotCheckOffer = std::function<void(SpotOffer)>;

class WorkerTable final : public RequestRouter {
 public:
  // `paid`: a worker without a payout contract cannot serve (this proxy bills per token).
  WorkerTable(RoutingState& routing, bool paid, std::function<std::string()> serving_problem,
              SpotCheckOffer spot_check);

  // The client price in nanoTON per adjusted token (0: this proxy does not bill): what a max_price
  // is measured against.
  void set_price_source(std::function<uint64_t()> price_per_token) { price_per_token_ = std::move(price_per_token); }

  // Every connected worker by connection id. Adding, removing and changing a worker's model go
  // through add / remove / set_model, which keep the per-model index.
  std::map<uint64_t, WorkerEntry>& entries() { return workers_; }
  const std::map<uint64_t, WorkerEntry>& entries() const { return workers_; }
  WorkerEntry& add(uint64_t conn, WorkerEntry entry);
  void remove(uint64_t conn);
  void set_model(WorkerEntry& worker, const std::string& model);
  // Anything a ModelsQuery answer shows changed (a worker came, went or announced a new state).
  void changed() { models_cache_until_us_ = 0; }
  WorkerEntry* find(uint64_t conn);
  // The enabled workers' slots for `model` and their typical request time (admission_queue.h).
  ModelCapacity capacity(const std::string& model) const;
  // Called with a worker's model whenever one of its slots is given back.
  void on_slot_released(std::function<void(const std::string&)> f) { slot_released_ = std::move(f); }

  // Models with more workers than this are sampled: a selection considers kSampleSize of the
  // eligible ones (from a random point of the model's list) plus the prompt-prefix worker, so its
  // cost does not grow with the number of workers (a best-of-d choice: already d = 2 balances load
  // exponentially better than one random pick). Up to kSampleAll workers every one is considered,
  // as before. 16, not 32: selection p99 at 10,000 workers 108 µs instead of 166 (bench-scale).
  static constexpr std::size_t kSampleAll = 64;
  static constexpr std::size_t kSampleSize = 16;
  // What a selection looks at: candidates with their connection ids. Sampled when the model has
  // more than kSampleAll workers; when no worker is eligible, every worker of the model is listed
  // (not described) so the error can say exactly why.
  struct CandidateList {
    std::vector<WorkerCandidate> candidates;
    std::vector<uint64_t> ids;
  };
  struct Eligibility {
    std::string model;
    uint32_t max_coefficient = 0;
    bool embeddings = false;  // the request is /v1/embeddings
    uint64_t prefix_hash = 0;
  };
  CandidateList candidates(const Eligibility& need, const std::vector<uint64_t>& excluded);
  // For a spot check: another worker for `model` (none of `excluded`), by the routing policy; 0 if none.
  uint64_t choose_other(const std::string& model, uint32_t max_coefficient, const RequestShape& shape,
                        const std::vector<uint64_t>& excluded);

  std::string serving_problem() const override { return serving_problem_(); }
  WorkerPick choose(const RequestFacts& facts, const proto::InferenceRequest& request,
                    const std::vector<uint64_t>& tried) override;
  bool has_free_worker(const std::string& model, const std::vector<uint64_t>& tried) const override;
  WorkerSlot take_slot(uint64_t worker_conn) override;
  void release_slot(uint64_t worker_conn) override;
  bool connected(uint64_t worker_conn) const override { return workers_.count(worker_conn) > 0; }
  void record(const std::string& key, const std::string& model, Outcome outcome, const std::string& request_id,
              const proto::Receipt* receipt) override;
  void count_failure(uint64_t worker_conn, uint64_t tokens) override;
  void answered(const AnswerReport& report) override;
  bool spot_check_due() override;
  void offer_spot_check(SpotOffer offer) override;

  // The models reply and the /stats view.
  proto::ModelsReply models() const;
  // `limit` workers from the `offset`-th (by connection id).
  nlohmann::json json(std::size_t offset, std::size_t limit) const;
  // Time spent in choose(), every selection since start (/stats: routing.selection).
  const SelectionTiming& selection_timing() const { return selection_timing_; }

 private:
  RoutingState& routing_;
  bool paid_;
  std::function<std::string()> serving_problem_;
  SpotCheckOffer spot_check_;
  std::function<uint64_t()> price_per_token_ = [] { return uint64_t{0}; };
  std::map<uint64_t, WorkerEntry> workers_;  // by connection id
  uint64_t dispatch_seq_ = 0;
  std::function<void(const std::string&)> slot_released_;
  SelectionTiming selection_timing_;
  // The workers of each model (pointers into workers_: a std::map's entries stay put), and
  // connection ids by reputation key (the newest connection of a key).
  std::unordered_map<std::string, std::vector<WorkerEntry*>> by_model_;
  std::unordered_map<std::string, uint64_t> by_key_;
  std::mt19937_64 sample_rng_{std::random_device{}()};
  // The ModelsQuery answer, rebuilt at most every kModelsCacheUs: at 10,000 workers each asking
  // every 10 s, rebuilding it per query (a walk and a reputation score per worker) saturated the proxy.
  static constexpr int64_t kModelsCacheUs = 500000;
  mutable proto::ModelsReply models_cache_;
  mutable int64_t models_cache_until_us_ = 0;
  bool eligible(const WorkerEntry& w, const Eligibility& need, const std::vector<uint64_t>& excluded) const;
  WorkerCandidate candidate_of(const WorkerEntry& w, bool excluded) const;
  void index_model(WorkerEntry& w, bool add);
};

}  // namespace chrysalis::proxy
