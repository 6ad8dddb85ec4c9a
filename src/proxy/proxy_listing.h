#pragma once
// Keeps the proxy listed in the network's root contract with the endpoints workers and clients
// should dial: after every registry read it compares what the root lists for its key with what
// it advertises, and until the root shows it asks its own proxy contract to list it — the root
// takes a listing only from a genuine, staked proxy contract. Once listed, a removal (by its owner
// or the root's) is respected until the proxy restarts. Clients and workers that name no
// proxies find it there. Closing the proxy contract delists it (the contract does that).
#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "attest/policy/chain_policy_source.h"
#include "proxy/listing_settings.h"
#include "ton/toncenter/chain_agent.h"

namespace chrysalis::proxy {

class ProxyListing {
 public:
  // `key`: the proxy's TEE key, which signs the announcement (the root lists a key only for its holder).
  ProxyListing(ton::ChainAgent& agent, std::shared_ptr<attest::ChainPolicySource> chain, ton::Ed25519Key key,
               ton::Address proxy_contract, ton::Address root, ListingSettings settings);
  ~ProxyListing() { *alive_ = false; }
  void start();
  bool removed() const { return removed_; }
  // Taken off the list by its owner before (a previous contract): do not list it again.
  void keep_off_the_list() { removed_ = true; }
  nlohmann::json stats() const;

 private:
  void check(const ton::contracts::RootRegistry& registry);
  void announce();

  ton::ChainAgent& agent_;
  std::shared_ptr<attest::ChainPolicySource> chain_;
  ton::Ed25519Key key_;
  ton::Address contract_;
  ton::Address root_;
  ListingSettings settings_;
  bool listed_ = false;
  bool removed_ = false;  // was listed in this run, then taken off: not listed again
  uint32_t seqno_ = 0;
  bool in_flight_ = false;
  int64_t next_try_us_ = 0;   // no new announcement before (steady clock)
  uint32_t unconfirmed_ = 0;  // announcements the root has not shown yet, in a row
  uint64_t announcements_ = 0;
  std::string last_error_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace chrysalis::proxy
