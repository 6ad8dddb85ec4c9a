#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace chrysalis::proxy {

struct WorkerCandidate {
  std::string model;
  uint32_t coefficient = 1000;
  uint32_t max_concurrent = 1;
  uint32_t running = 0;
  bool enabled = true;
  double avg_request_ms = 0;   // 0 = no history yet
  bool excluded = false;       // already tried for this request
  uint64_t last_dispatch = 0;  // when it last got a request; ties go to the longest idle
  // Inputs of the selection policies (selection_policy.h); 0 / defaults mean "not measured yet".
  double history = 0;           // how many requests avg_request_ms rests on (decayed)
  double ttft_ms = 0;           // measured time to first token
  double tokens_per_s = 0;      // measured single-stream decode speed
  double rtt_ms = 0;            // connection ping round trip
  double contention = 0;        // measured slowdown per running request; 0 = use the policy default
  double trust = 1;             // reputation: reliability x spot-check honesty, (0, 1]
  bool trial = false;           // too little evidence yet: gets a bounded share of traffic
  bool affinity = false;        // served this request's prompt prefix last
  double true_expected_ms = 0;  // simulator only: what the oracle policy knows
  std::string disabled_reason;  // what the worker announced when disabled (quoted in errors)
};

struct WorkerChoice {
  int index = -1;  // into the candidate list; -1 = none qualifies
  int http_status = 0;
  std::string code;
  std::string message;
  std::string reason;  // why this worker, when the request set terms (X-Chrysalis-Route)
  double predicted_ttft_ms = 0;  // when its first token is expected (routing_deadline.h)
};

// Among workers serving `model`, enabled, with a free slot and coefficient <= max_coefficient,
// picks the lowest expected wait: (running + 1) / max_concurrent x average request time.
// When none qualifies, says exactly why (unknown model, none ready, all busy, all too expensive).
WorkerChoice choose_worker(const std::vector<WorkerCandidate>& candidates, const std::string& model,
                           uint32_t max_coefficient);

}  // namespace chrysalis::proxy
