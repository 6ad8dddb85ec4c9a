#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace chrysalis::proxy {

// How measured outcomes turn into standing. Evidence decays with `half_life_s`, so a worker
// that misbehaved and recovered regains its standing once fresh successes outweigh old faults.
struct ReputationParams {
  double half_life_s = 300;
  double prior_successes = 3;       // a new worker starts trusted, but a few faults move it quickly
  double trial_evidence = 8;        // a worker with fewer outcomes ever is on trial
  double early_error_weight = 1;    // failed before the first token: retried, costs little
  double timeout_weight = 4;        // stalled: costs the client a whole first-token timeout
  double mid_stream_weight = 6;     // failed after the first token: the client sees the error
  double disagreement_weight = 12;  // confirmed wrong output in a spot check
};

enum class Outcome { Success, ErrorBeforeFirstToken, Timeout, ErrorAfterFirstToken };

// Exponentially decayed evidence about one worker. Values are stored as of `updated_us` and
// decayed lazily, so reading and recording are O(1).
class Reputation {
 public:
  struct State {
    double successes = 0, early_errors = 0, timeouts = 0, mid_stream_errors = 0;
    double spot_agreements = 0, spot_disagreements = 0;
    double speed_weight = 0, ttft_ms_sum = 0, tps_sum = 0;  // weighted sums for the means
    // Decayed sums fitting seconds-per-token = a + b x running (batching slows each stream).
    double fit_n = 0, fit_y = 0, fit_nn = 0, fit_ny = 0;
    double lifetime = 0;  // outcomes ever recorded, not decayed: only new workers are on trial
    int64_t updated_us = 0;
  };

  void record(Outcome outcome, int64_t now_us, const ReputationParams& p);
  // One completed answer: time to first token and single-stream tokens per second.
  void record_speed(double ttft_ms, double tokens_per_s, int64_t now_us, const ReputationParams& p);
  // The decode speed an answer saw with `running_before` other requests on the worker.
  void record_load_speed(double observed_tokens_per_s, uint32_t running_before, int64_t now_us,
                         const ReputationParams& p);
  // Fitted slowdown per extra running request (each stream's time x (1 + c x running)); 0 = not
  // enough spread in the load seen yet.
  double contention() const;
  void record_spot_check(bool agreed, int64_t now_us, const ReputationParams& p);

  // Share of requests that end well, with the prior; in (0, 1].
  double reliability(int64_t now_us, const ReputationParams& p) const;
  // Spot-check standing in (0, 1]: 1 without confirmed disagreements.
  double honesty(int64_t now_us, const ReputationParams& p) const;
  // What selection multiplies in: reliability x honesty.
  double trust(int64_t now_us, const ReputationParams& p) const;
  // trust x a speed factor relative to `model_tps` (the model's median); what /stats shows.
  double score(int64_t now_us, const ReputationParams& p, double model_tps) const;
  double evidence(int64_t now_us, const ReputationParams& p) const;
  bool on_trial(int64_t, const ReputationParams& p) const { return state_.lifetime < p.trial_evidence; }
  double ttft_ms() const { return state_.speed_weight > 0 ? state_.ttft_ms_sum / state_.speed_weight : 0; }
  double tokens_per_s() const { return state_.speed_weight > 0 ? state_.tps_sum / state_.speed_weight : 0; }

  const State& state() const { return state_; }
  void restore(const State& s) { state_ = s; }

 private:
  State decayed(int64_t now_us, const ReputationParams& p) const;
  void decay_to(int64_t now_us, const ReputationParams& p) { state_ = decayed(now_us, p); }
  State state_;
};

// Every worker's reputation, keyed by a stable identity (its public key), and per model the
// median speed that "relative to others of the same model" refers to.
class ReputationBook {
 public:
  explicit ReputationBook(ReputationParams params = {}) : params_(params) {}
  const ReputationParams& params() const { return params_; }

  Reputation& of(const std::string& key, const std::string& model);
  const Reputation* find(const std::string& key) const;
  // Median single-stream tokens/s (and TTFT) of workers of `model` with speed data; 0 when none.
  double model_tps(const std::string& model, int64_t now_us);
  double model_ttft_ms(const std::string& model, int64_t now_us);
  double score(const std::string& key, int64_t now_us);

  struct Entry {
    std::string model;
    Reputation rep;
  };
  // Hashed, not ordered: every candidate of every selection looks its key up here.
  const std::unordered_map<std::string, Entry>& entries() const { return entries_; }
  void restore(const std::string& key, const std::string& model, const Reputation::State& s);

 private:
  struct Medians {
    double tps = 0, ttft_ms = 0;
    int64_t computed_us = -1;
  };
  const Medians& medians(const std::string& model, int64_t now_us);
  ReputationParams params_;
  std::unordered_map<std::string, Entry> entries_;
  std::map<std::string, Medians> medians_;
};

}  // namespace chrysalis::proxy
