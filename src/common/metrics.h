#pragma once
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace chrysalis {

// Recent-sample window for latency percentiles (the last `capacity` observations).
class LatencyWindow {
 public:
  explicit LatencyWindow(std::size_t capacity = 4096) : capacity_(capacity) {}
  void add(double value);
  double percentile(double p) const;  // p in [0, 100]; 0 when empty
  // The newest min(n, held) samples, newest first.
  std::vector<double> latest(std::size_t n) const;
  uint64_t count() const { return total_count_; }
  double sum() const { return total_sum_; }

 private:
  std::size_t capacity_;
  std::vector<double> samples_;
  std::size_t next_ = 0;
  uint64_t total_count_ = 0;
  double total_sum_ = 0;
};

// The p-th percentile (p in [0, 100]) of `values` (reordered); 0 when empty.
double percentile_of(std::vector<double>& values, double p);

// Counters and latency windows of one node, exported as JSON (/stats) and Prometheus text (/metrics).
class Metrics {
 public:
  using Labels = std::map<std::string, std::string>;
  void add(const std::string& name, const Labels& labels, double value = 1);
  void set(const std::string& name, const Labels& labels, double value);
  void observe(const std::string& name, const Labels& labels, double value_ms);
  double get(const std::string& name, const Labels& labels = {}) const;
  // A counter summed over its label sets, only those `keep` admits when given.
  double sum(const std::string& name, const std::function<bool(const Labels&)>& keep = {}) const;
  std::string prometheus(const std::string& prefix) const;
  nlohmann::json json() const;
  const LatencyWindow* window(const std::string& name, const Labels& labels = {}) const;

 private:
  struct Key {
    std::string name;
    Labels labels;
    bool operator<(const Key& o) const { return std::tie(name, labels) < std::tie(o.name, o.labels); }
  };
  std::map<Key, double> counters_;
  std::map<Key, double> gauges_;
  std::map<Key, LatencyWindow> windows_;
};

}  // namespace chrysalis
