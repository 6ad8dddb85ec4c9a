#include "worker/capacity_split.h"

#include <algorithm>
#include <cmath>

namespace chrysalis::worker {

uint32_t CapacitySplit::even_share() const {
  auto n = static_cast<uint32_t>(std::max<size_t>(entries_.size(), 1));
  return std::max<uint32_t>(1, (max_ + n - 1) / n);
}

void CapacitySplit::add(uint64_t conn) {
  entries_[conn];
  // A newcomer starts from the even share; the others keep theirs until the next rebalance.
  entries_[conn].share = even_share();
}

void CapacitySplit::remove(uint64_t conn) { entries_.erase(conn); }

void CapacitySplit::started(uint64_t conn) {
  if (auto it = entries_.find(conn); it != entries_.end()) ++it->second.started;
}

std::vector<uint64_t> CapacitySplit::rebalance(const std::map<uint64_t, uint32_t>& running) {
  ++rebalances_;
  auto running_of = [&](uint64_t conn) -> uint32_t {
    auto it = running.find(conn);
    return it == running.end() ? 0 : it->second;
  };
  double total = 0;
  for (auto& [conn, e] : entries_) {
    e.demand = e.demand / 2 + e.started;  // halves every rebalance: the last few seconds count most
    e.started = 0;
    total += e.demand + running_of(conn);
  }
  std::vector<uint64_t> changed;
  for (auto& [conn, e] : entries_) {
    uint32_t share = even_share();
    if (entries_.size() > 1 && total > 0) {
      double weight = (e.demand + running_of(conn)) / total;
      share = static_cast<uint32_t>(std::ceil(max_ * weight));
    }
    if (entries_.size() == 1) share = max_;
    share = std::max({share, running_of(conn), uint32_t{1}});
    share = std::min(share, std::max<uint32_t>(max_, running_of(conn)));
    if (share != e.share) {
      e.share = share;
      changed.push_back(conn);
    }
  }
  return changed;
}

uint32_t CapacitySplit::share(uint64_t conn) const {
  auto it = entries_.find(conn);
  return it == entries_.end() ? 0 : it->second.share;
}

nlohmann::json CapacitySplit::stats() const {
  nlohmann::json shares = nlohmann::json::object();
  for (auto& [conn, e] : entries_)
    shares[std::to_string(conn)] = {{"share", e.share}, {"demand", std::round(e.demand * 100) / 100}};
  return {{"max_concurrent", max_}, {"proxies", entries_.size()}, {"rebalances", rebalances_}, {"shares", shares}};
}

}  // namespace chrysalis::worker
