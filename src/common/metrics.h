#pragma once
#include <nlohmann/json.hpp>

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
  uint64_t count() const { return total_count_; }
  double sum() const { return total_sum_; }

 private:
  std::size_t capacity_;
  std::vector<double> samples_;
  std::size_t next_ = 0;
  uint64_t total_count_ = 0;
  double total_sum_ = 0;
};

// Counters and latency windows of one node, exported as JSON (/stats) and Prometheus text (/metrics).
class Metrics {
 public:
  using Labels = std::map<std::string, std::string>;
  void add(const std::string& name, const Labels& labels, double value = 1);
  void set(const std::string& name, const Labels& labels, double value);
  void observe(const std::string& name, const Labels& labels, double value_ms);
  double get(const std::string& name, const Labels& labels = {}) const;
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
