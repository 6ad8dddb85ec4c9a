#pragma once
// What a request's state machine needs from routing: choose a worker, occupy and free its slots,
// and tell reputation what happened. The proxy node implements it over its connected workers
// (worker_table.h); unit tests implement it over a scripted list.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chrysalis.pb.h"
#include "proxy/routing_reputation.h"

namespace chrysalis::proxy {

// What the proxy learned from a request's body once (model, prompt-prefix hash, determinism).
struct RequestFacts {
  std::string model;
  uint64_t prefix_hash = 0;
  bool deterministic = false;
  bool e2e = false;  // the body is sealed: the proxy asks the client to seal it for each attempt
  // A continuation of an answer whose worker failed (resume_book.h): its prompt was paid with the
  // first part, and the workers that failed it are not tried again.
  bool resumed = false;
  uint32_t resumes = 0;
  std::vector<uint64_t> failed_workers;
};

// The worker the router chose for an attempt, before its slot is taken.
struct WorkerPick {
  uint64_t conn = 0;        // 0: none qualifies (see status, code, message)
  std::string key;          // reputation key
  std::string contract;     // billing: its worker contract (raw); empty: none
  std::string certificate;  // its RA-TLS certificate (DER), for e2e clients to check and seal to
  uint32_t coefficient = 1000;
  std::string route;  // why this worker, when the request set price or deadline terms
  double predicted_ttft_ms = 0;  // when its first token is expected: the stall limits scale with it
  int http_status = 0;
  std::string code, message;
};

// A slot taken on the chosen worker: the stream the attempt runs on and the load it found.
struct WorkerSlot {
  uint64_t stream = 0;
  uint32_t running_before = 0;
};

// What a finished answer tells routing (reputation, speed, the worker's averages).
struct AnswerReport {
  uint64_t worker_conn = 0;
  std::string worker_key, model;
  double total_ms = 0;
  double ttft_ms = -1;          // from the request's start; -1: no token
  double attempt_ttft_ms = -1;  // from the attempt's start; -1: no token
  double generation_ms = 0;
  uint32_t running_before = 0;
  uint64_t prompt_tokens_estimate = 0;
  uint64_t prefix_hash = 0;
  proto::Usage usage;
  std::string request_id;
  std::optional<proto::Receipt> receipt;  // the worker's, verified; none: it sent none that held
};

// E2E: a worker the client sealed the request for up front, so that it can rerun it.
struct SealedSpotRun {
  uint64_t worker_conn = 0;
  proto::SealedBody sealed;
};

// A deterministic answer offered for a spot check (routing_spot_check_runs.h).
struct SpotOffer {
  proto::InferenceRequest request;  // as the client sent it (e2e: without a body)
  std::string model;
  uint64_t worker_conn = 0;
  std::string worker_key;
  std::string spot_hash;              // what the answering worker signed
  proto::Receipt receipt;             // its receipt (worker part): reputation's evidence for the verdict
  double answer_ttft_ms = 0;          // how long its first token took: the reruns' stall limit scales with it
  std::vector<SealedSpotRun> sealed;  // e2e: the only workers it can run on, in order of preference
};

class RequestRouter {
 public:
  virtual ~RequestRouter() = default;
  // Empty while requests may be served; else why not (e.g. the registry is stale).
  virtual std::string serving_problem() const = 0;
  virtual WorkerPick choose(const RequestFacts& facts, const proto::InferenceRequest& request,
                            const std::vector<uint64_t>& tried) = 0;
  // Whether a retry could find a worker: one not tried, of the model, enabled, with a free slot.
  virtual bool has_free_worker(const std::string& model, const std::vector<uint64_t>& tried) const = 0;
  virtual WorkerSlot take_slot(uint64_t worker_conn) = 0;
  // Gives back the slot of an ended attempt (no-op for a worker that is gone).
  virtual void release_slot(uint64_t worker_conn) = 0;
  virtual bool connected(uint64_t worker_conn) const = 0;
  // `receipt`: the worker's verified receipt for this attempt, when it sent one (reputation's evidence).
  virtual void record(const std::string& key, const std::string& model, Outcome outcome,
                      const std::string& request_id, const proto::Receipt* receipt) = 0;
  // `tokens`: what it produced that the client received (and was charged) before it failed.
  virtual void count_failure(uint64_t worker_conn, uint64_t tokens) = 0;
  virtual void answered(const AnswerReport& report) = 0;
  // Whether this deterministic request is to be spot-checked (drawn at the configured rate).
  virtual bool spot_check_due() = 0;
  // A deterministic answer the router may run again on other workers to compare.
  virtual void offer_spot_check(SpotOffer offer) = 0;
};

}  // namespace chrysalis::proxy
