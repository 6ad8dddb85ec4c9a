#pragma once
// A node's outbound connections to its proxies, kept in line with a target list that can change
// while the node runs (the root contract's proxy registry): a new target is dialed, a target that
// left is retired — no new work goes to it, and it is closed once its owner says it is idle or a
// grace period has passed, so answers in flight are not cut off by a registry change.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "net/listener.h"

namespace chrysalis::net {

struct DialTarget {
  Endpoint endpoint;
  std::string expected_key_hex;  // non-empty: the peer's attested key must be this one
  std::string source;            // where the target came from ("config", "root seqno 3"), for /stats
};

class DialerSet {
 public:
  struct Entry {
    DialTarget target;
    std::shared_ptr<Dialer> dialer;
    bool retiring = false;
    int64_t retired_at_us = 0;
  };
  using Idle = std::function<bool(const Connection&)>;

  DialerSet(boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> tls, ConnectionOptions options,
            Dialer::OnUp on_up, Dialer::OnFrame on_frame, Dialer::OnDown on_down);
  ~DialerSet();
  // Until set, a retiring connection is closed only when the grace period ends.
  void set_idle_check(Idle idle, int64_t grace_ms) {
    idle_ = std::move(idle);
    grace_ms_ = grace_ms;
  }
  // Dials what is new, retires what is gone; a target whose key changed is dialed afresh.
  void set_targets(std::vector<DialTarget> targets);
  void stop();

  const std::vector<Entry>& entries() const { return entries_; }
  // Open connections that may take new work (retiring ones left out).
  std::vector<std::shared_ptr<Connection>> active_connections() const;
  // Open connections, retiring ones included (announcements, stats).
  std::vector<std::shared_ptr<Connection>> open_connections() const;
  // Counters and limits for /stats: dialed, retired, refused for presenting another key, grace.
  nlohmann::json stats() const;

 private:
  std::shared_ptr<Dialer> make_dialer(const DialTarget& target);
  void schedule_sweep();
  void sweep();

  boost::asio::any_io_executor ex_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  ConnectionOptions options_;
  Dialer::OnUp on_up_;
  Dialer::OnFrame on_frame_;
  Dialer::OnDown on_down_;
  Idle idle_;
  int64_t grace_ms_ = 60'000;
  std::vector<Entry> entries_;
  std::set<uint64_t> accepted_;  // connections handed to on_up (only those are reported down)
  std::unique_ptr<boost::asio::steady_timer> sweep_timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool sweep_scheduled_ = false;
  uint64_t dialed_ = 0, retired_ = 0, key_mismatches_ = 0;
};

}  // namespace chrysalis::net
