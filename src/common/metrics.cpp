#include "common/metrics.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace chrysalis {

void LatencyWindow::add(double value) {
  if (samples_.size() < capacity_) {
    samples_.push_back(value);
  } else {
    samples_[next_] = value;
    next_ = (next_ + 1) % capacity_;
  }
  ++total_count_;
  total_sum_ += value;
}

double percentile_of(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(values.size() - 1);
  return values[static_cast<std::size_t>(std::lround(rank))];
}

double LatencyWindow::percentile(double p) const {
  std::vector<double> sorted = samples_;
  return percentile_of(sorted, p);
}

std::vector<double> LatencyWindow::latest(std::size_t n) const {
  const std::size_t held = samples_.size();
  n = std::min(n, held);
  std::vector<double> out;
  out.reserve(n);
  // One past the newest: the end while the ring fills, then the slot the next sample overwrites.
  const std::size_t end = held < capacity_ ? held : next_;
  for (std::size_t i = 0; i < n; ++i) out.push_back(samples_[(end + held - 1 - i) % held]);
  return out;
}

void Metrics::add(const std::string& name, const Labels& labels, double value) { counters_[{name, labels}] += value; }
void Metrics::set(const std::string& name, const Labels& labels, double value) { gauges_[{name, labels}] = value; }
void Metrics::observe(const std::string& name, const Labels& labels, double value_ms) {
  windows_[{name, labels}].add(value_ms);
}

double Metrics::get(const std::string& name, const Labels& labels) const {
  if (auto it = counters_.find({name, labels}); it != counters_.end()) return it->second;
  if (auto it = gauges_.find({name, labels}); it != gauges_.end()) return it->second;
  return 0;
}

double Metrics::sum(const std::string& name, const std::function<bool(const Labels&)>& keep) const {
  double total = 0;
  for (auto it = counters_.lower_bound({name, {}}); it != counters_.end() && it->first.name == name; ++it)
    if (!keep || keep(it->first.labels)) total += it->second;
  return total;
}

const LatencyWindow* Metrics::window(const std::string& name, const Labels& labels) const {
  auto it = windows_.find({name, labels});
  return it == windows_.end() ? nullptr : &it->second;
}

namespace {
std::string label_text(const Metrics::Labels& labels, const std::string& extra = {}) {
  if (labels.empty() && extra.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    std::string escaped;
    for (char c : v) {
      if (c == '"' || c == '\\') escaped += '\\';
      if (c == '\n') {
        escaped += "\\n";
        continue;
      }
      escaped += c;
    }
    out += k + "=\"" + escaped + "\"";
  }
  if (!extra.empty()) out += (first ? "" : ",") + extra;
  return out + "}";
}

std::string label_key(const Metrics::Labels& labels) {
  std::string out;
  for (auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out.empty() ? "all" : out;
}
}  // namespace

std::string Metrics::prometheus(const std::string& prefix) const {
  std::ostringstream out;
  std::string last;
  for (auto& [key, value] : counters_) {
    std::string name = prefix + key.name + "_total";
    if (name != last) out << "# TYPE " << name << " counter\n";
    last = name;
    out << name << label_text(key.labels) << " " << value << "\n";
  }
  for (auto& [key, value] : gauges_) {
    std::string name = prefix + key.name;
    if (name != last) out << "# TYPE " << name << " gauge\n";
    last = name;
    out << name << label_text(key.labels) << " " << value << "\n";
  }
  for (auto& [key, window] : windows_) {
    std::string name = prefix + key.name + "_ms";
    if (name != last) out << "# TYPE " << name << " summary\n";
    last = name;
    for (double q : {0.5, 0.9, 0.99}) {
      std::ostringstream qs;
      qs << "quantile=\"" << q << "\"";
      out << name << label_text(key.labels, qs.str()) << " " << window.percentile(q * 100) << "\n";
    }
    out << name << "_sum" << label_text(key.labels) << " " << window.sum() << "\n";
    out << name << "_count" << label_text(key.labels) << " " << window.count() << "\n";
  }
  return out.str();
}

nlohmann::json Metrics::json() const {
  nlohmann::json out = nlohmann::json::object();
  for (auto& [key, value] : counters_) out["counters"][key.name][label_key(key.labels)] = value;
  for (auto& [key, value] : gauges_) out["gauges"][key.name][label_key(key.labels)] = value;
  for (auto& [key, window] : windows_) {
    out["latency_ms"][key.name][label_key(key.labels)] = {{"count", window.count()},
                                                          {"p50", window.percentile(50)},
                                                          {"p90", window.percentile(90)},
                                                          {"p99", window.percentile(99)}};
  }
  return out;
}

}  // namespace chrysalis
