#pragma once
// Live connections checked again. A peer admitted at its handshake must keep passing the policy
// for as long as its connection lives: each watched connection is verified again with the
// certificate it presented, at once when the policy changes (a new registry snapshot may drop its
// image or model hash) and every `interval` (certificates expire, claims grow too old). One that
// fails is closed with the reason, logged, and counted by the check that failed (/stats).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "attest/policy/policy.h"
#include "crypto/peer_verifier.h"
#include "net/connection.h"

namespace chrysalis::attest {

class LivePeerRechecks {
 public:
  // The verifier for peers of a role ("proxy" | "worker" | "client"), the same a handshake uses.
  using VerifierFor = std::function<std::shared_ptr<crypto::PeerVerifier>(const std::string& peer_role)>;
  LivePeerRechecks(boost::asio::any_io_executor ex, std::shared_ptr<PolicySource> policy, VerifierFor verifier_for,
                   std::chrono::seconds interval);
  ~LivePeerRechecks();

  // Re-checks `conn` from now on, as a peer of `peer_role`, until it closes.
  void watch(const std::shared_ptr<net::Connection>& conn, const std::string& peer_role);
  void start();  // the periodic sweep
  void stop();
  // Checks every live watched connection now; closes those that fail. Returns how many it closed.
  // Skipped while the policy is unavailable (a stale registry): serving stops by itself then.
  std::size_t sweep(const std::string& occasion);
  nlohmann::json stats() const;

 private:
  struct Watched {
    std::weak_ptr<net::Connection> conn;
    std::string role;
  };
  void schedule();
  void prune();

  boost::asio::any_io_executor ex_;
  std::shared_ptr<PolicySource> policy_;
  VerifierFor verifier_for_;
  std::map<std::string, std::shared_ptr<crypto::PeerVerifier>> verifiers_;  // by peer role
  std::chrono::seconds interval_;
  std::vector<Watched> watched_;             // one per live connection: pruned as they close
  std::map<std::string, uint64_t> dropped_;  // by failed check
  uint64_t sweeps_ = 0, skipped_ = 0;
  std::string last_drop_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::shared_ptr<bool> stopped_ = std::make_shared<bool>(false);
};

}  // namespace chrysalis::attest
