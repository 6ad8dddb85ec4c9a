#pragma once
// The proxy's connected workers and the router requests use over them (RequestRouter): choice by
// the routing policy, slots, reputation and the per-worker averages shown on /stats.
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "net/connection.h"
#include "proxy/admission_queue.h"
#include "proxy/request_router.h"
#include "proxy/routing_state.h"
#include "proxy/selection_timing.h"

namespace chrysalis::proxy {

// A connected worker as the proxy sees it.
struct WorkerEntry {
  std::shared_ptr<net::Connection> conn;
  std::string id;
  std::string model;
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

  std::map<uint64_t, WorkerEntry>& entries() { return workers_; }
  const std::map<uint64_t, WorkerEntry>& entries() const { return workers_; }
  WorkerEntry* find(uint64_t conn);
  // The enabled workers' slots for `model` and their typical request time (admission_queue.h).
  ModelCapacity capacity(const std::string& model) const;
  // Called with a worker's model whenever one of its slots is given back.
  void on_slot_released(std::function<void(const std::string&)> f) { slot_released_ = std::move(f); }
  // The reputation key: the public key survives reconnects and restarts; the id is a fallback.
  static std::string key_of(const WorkerEntry& w);
  // Candidates for a selection among all workers, those in `excluded` marked as such.
  std::vector<WorkerCandidate> candidates(const std::vector<uint64_t>& excluded, uint64_t prefix_hash,
                                          std::vector<uint64_t>& ids);

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
  nlohmann::json json() const;
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
};

}  // namespace chrysalis::proxy
