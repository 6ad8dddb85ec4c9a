#pragma once
// How a worker shares its slots among the proxies it serves: each proxy is told a share (the
// most requests it may have running here at once). With no demand yet the shares are even,
// ceil(max / proxies), as the reference does; then they follow the load: every rebalance gives
// each proxy slots in proportion to what it ran and started lately, never below what it is
// running now nor below one, so a busy proxy gets the slots an idle one leaves unused.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <vector>

namespace chrysalis::worker {

class CapacitySplit {
 public:
  explicit CapacitySplit(uint32_t max) : max_(max) {}
  void add(uint64_t conn);
  void remove(uint64_t conn);
  void started(uint64_t conn);  // a request from this proxy began here
  // New shares from recent demand and what runs now (connection → running requests); returns the
  // connections whose share changed (they must be told).
  std::vector<uint64_t> rebalance(const std::map<uint64_t, uint32_t>& running);
  uint32_t share(uint64_t conn) const;
  size_t proxies() const { return entries_.size(); }
  nlohmann::json stats() const;

 private:
  struct Entry {
    uint32_t share = 0;
    uint32_t started = 0;  // since the last rebalance
    double demand = 0;     // decayed starts per rebalance
  };
  uint32_t even_share() const;

  uint32_t max_;
  std::map<uint64_t, Entry> entries_;
  uint64_t rebalances_ = 0;
};

}  // namespace chrysalis::worker
