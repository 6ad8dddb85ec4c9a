#include "http/stats_history.h"

#include <algorithm>

namespace chrysalis::http {
namespace {

// Percentiles of the `fresh` newest observations of a window (those of the closing interval).
void interval_percentiles(const LatencyWindow* w, double fresh, double& p50, double& p99) {
  p50 = p99 = 0;
  if (!w || fresh < 1) return;
  auto values = w->latest(static_cast<std::size_t>(fresh));
  p99 = percentile_of(values, 99);
  p50 = percentile_of(values, 50);
}

}  // namespace

StatsHistory::Totals StatsHistory::totals() const {
  Totals t;
  t.requests = metrics_.sum("requests");
  t.errors = metrics_.sum("requests", [](const Metrics::Labels& l) {
    auto it = l.find("outcome");
    return it != l.end() && it->second != "ok";
  });
  t.tokens = metrics_.get("tokens", {{"kind", "completion"}});
  t.billed = metrics_.sum("billed_nano");
  if (auto* w = metrics_.window("request_latency")) t.latencies = static_cast<double>(w->count());
  if (auto* w = metrics_.window("time_to_first_token")) t.ttfts = static_cast<double>(w->count());
  return t;
}

void StatsHistory::sample(int64_t unix_s) {
  Totals now = totals();
  if (!primed_) {  // the first call only sets the baseline: counts before it are not this interval's
    last_ = now;
    primed_ = true;
    return;
  }
  Point p{.t = unix_s,
          .requests = now.requests - last_.requests,
          .errors = now.errors - last_.errors,
          .tokens = now.tokens - last_.tokens,
          .billed = now.billed - last_.billed};
  double unused = 0;
  interval_percentiles(metrics_.window("request_latency"), now.latencies - last_.latencies, p.latency_p50,
                       p.latency_p99);
  interval_percentiles(metrics_.window("time_to_first_token"), now.ttfts - last_.ttfts, p.ttft_p50, unused);
  last_ = now;
  points_.push_back(p);
  while (points_.size() > kPoints) points_.pop_front();
}

nlohmann::json StatsHistory::json() const {
  nlohmann::json t = nlohmann::json::array(), requests = t, errors = t, tokens = t, billed = t, p50 = t, p99 = t,
                 ttft = t;
  for (const auto& p : points_) {
    t.push_back(p.t);
    requests.push_back(p.requests);
    errors.push_back(p.errors);
    tokens.push_back(p.tokens);
    billed.push_back(p.billed);
    p50.push_back(p.latency_p50);
    p99.push_back(p.latency_p99);
    ttft.push_back(p.ttft_p50);
  }
  return {{"resolution_s", kResolutionS},
          {"window_s", kResolutionS * static_cast<int>(kPoints)},
          {"t", std::move(t)},
          {"series",
           {{"requests", std::move(requests)},
            {"errors", std::move(errors)},
            {"tokens", std::move(tokens)},
            {"billed_nanoton", std::move(billed)},
            {"latency_p50_ms", std::move(p50)},
            {"latency_p99_ms", std::move(p99)},
            {"ttft_p50_ms", std::move(ttft)}}}};
}

}  // namespace chrysalis::http
