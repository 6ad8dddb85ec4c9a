#pragma once
// How long the proxy spends choosing a worker (WorkerTable::choose: building the candidate list
// and running the routing policy), over every selection since start: a histogram of log-spaced
// buckets (8 per power of two, so a percentile is within about 9% of the truth), shown on /stats
// under routing.selection. Callers with two snapshots (bench/scale) can take percentiles of what
// happened between them from the buckets.
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdint>

namespace chrysalis::proxy {

class SelectionTiming {
 public:
  // Buckets cover 1/8 µs .. 2^31 µs; bucket i holds durations below upper_us(i).
  static constexpr int kPerOctave = 8;
  static constexpr int kBuckets = 34 * kPerOctave;

  void add(std::chrono::nanoseconds elapsed);
  uint64_t count() const { return count_; }
  // The smallest bucket bound below which `p` percent (0..100] of the selections fell; 0 when none.
  double percentile_us(double p) const;
  static double upper_us(int bucket);
  // {count, mean_us, p50_us, p90_us, p99_us, p999_us, max_us, buckets: {"<upper_us>": count, ...}}
  // (only non-empty buckets).
  nlohmann::json json() const;

  // Measures one selection: from construction to destruction.
  class Scope {
   public:
    explicit Scope(SelectionTiming& timing) : timing_(timing), start_(std::chrono::steady_clock::now()) {}
    ~Scope() { timing_.add(std::chrono::steady_clock::now() - start_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    SelectionTiming& timing_;
    std::chrono::steady_clock::time_point start_;
  };

 private:
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  double sum_us_ = 0;
  double max_us_ = 0;
};

}  // namespace chrysalis::proxy
