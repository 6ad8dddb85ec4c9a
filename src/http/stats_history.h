#pragma once
// The last hour of a node's figures at fixed resolution, kept in memory for the dashboard's charts
// (GET /stats/history): per interval the requests answered and failed, completion tokens and
// nanoTON billed, and the latency percentiles of the requests that ended in it.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>

#include "common/metrics.h"

namespace chrysalis::http {

class StatsHistory {
 public:
  static constexpr int kResolutionS = 10;
  static constexpr std::size_t kPoints = 360;  // one hour

  explicit StatsHistory(const Metrics& metrics) : metrics_(metrics) {}
  // Closes the interval ending at `unix_s`; call every kResolutionS seconds.
  void sample(int64_t unix_s);
  // {"resolution_s", "window_s", "t": [...], "series": {"requests": [...], ...}}, oldest first.
  nlohmann::json json() const;
  std::size_t points() const { return points_.size(); }

 private:
  struct Totals {
    double requests = 0, errors = 0, tokens = 0, billed = 0, latencies = 0, ttfts = 0;
  };
  struct Point {
    int64_t t = 0;
    double requests = 0, errors = 0, tokens = 0, billed = 0;
    double latency_p50 = 0, latency_p99 = 0, ttft_p50 = 0;
  };
  Totals totals() const;

  const Metrics& metrics_;
  std::deque<Point> points_;
  Totals last_;
  bool primed_ = false;
};

}  // namespace chrysalis::http
