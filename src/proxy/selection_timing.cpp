#include "proxy/selection_timing.h"

#include <cmath>
#include <cstdio>

namespace chrysalis::proxy {

namespace {
constexpr double kLowestUs = 0.125;  // the first bucket's upper bound
}

double SelectionTiming::upper_us(int bucket) { return kLowestUs * std::exp2(static_cast<double>(bucket) / kPerOctave); }

void SelectionTiming::add(std::chrono::nanoseconds elapsed) {
  double us = static_cast<double>(elapsed.count()) / 1000.0;
  if (us < 0) us = 0;
  int bucket = 0;
  if (us >= kLowestUs) bucket = static_cast<int>(std::floor(std::log2(us / kLowestUs) * kPerOctave)) + 1;
  // Beyond the last bound (hours): counted in the last bucket.
  if (bucket > kBuckets - 1) bucket = kBuckets - 1;
  // Rounding at a bound: keep the invariant value < upper_us(bucket).
  while (bucket > 0 && us < upper_us(bucket - 1)) --bucket;
  while (bucket < kBuckets - 1 && us >= upper_us(bucket)) ++bucket;
  ++buckets_[static_cast<std::size_t>(bucket)];
  ++count_;
  sum_us_ += us;
  if (us > max_us_) max_us_ = us;
}

double SelectionTiming::percentile_us(double p) const {
  if (count_ == 0) return 0;
  // The rank of the p-th percentile, 1-based: at least one selection.
  auto rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[static_cast<std::size_t>(i)];
    if (seen >= rank) return upper_us(i);
  }
  return upper_us(kBuckets - 1);
}

nlohmann::json SelectionTiming::json() const {
  nlohmann::json buckets = nlohmann::json::object();
  for (int i = 0; i < kBuckets; ++i) {
    if (uint64_t n = buckets_[static_cast<std::size_t>(i)]) {
      char key[32];
      std::snprintf(key, sizeof key, "%.4g", upper_us(i));
      buckets[key] = n;
    }
  }
  return {{"count", count_},
          {"mean_us", count_ ? sum_us_ / static_cast<double>(count_) : 0.0},
          {"p50_us", percentile_us(50)},
          {"p90_us", percentile_us(90)},
          {"p99_us", percentile_us(99)},
          {"p999_us", percentile_us(99.9)},
          {"max_us", max_us_},
          {"buckets", std::move(buckets)}};
}

}  // namespace chrysalis::proxy
