#include "attest/ra_tls/live_peer_rechecks.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace chrysalis::attest {

namespace {

// "attestation check 'NAME' failed: ..." -> NAME; plain certificate checks -> "certificate".
std::string check_of(const std::string& reason) {
  const std::string mark = "attestation check '";
  auto at = reason.find(mark);
  if (at == std::string::npos) return "certificate";
  auto start = at + mark.size();
  auto end = reason.find('\'', start);
  return end == std::string::npos ? "certificate" : reason.substr(start, end - start);
}

}  // namespace

LivePeerRechecks::LivePeerRechecks(boost::asio::any_io_executor ex, std::shared_ptr<PolicySource> policy,
                                   VerifierFor verifier_for, std::chrono::seconds interval)
    : ex_(std::move(ex)), policy_(std::move(policy)), verifier_for_(std::move(verifier_for)), interval_(interval) {}

LivePeerRechecks::~LivePeerRechecks() { stop(); }

void LivePeerRechecks::watch(const std::shared_ptr<net::Connection>& conn, const std::string& peer_role) {
  prune();
  watched_.push_back({conn, peer_role});
}

void LivePeerRechecks::prune() {
  std::erase_if(watched_, [](const Watched& w) {
    auto conn = w.conn.lock();
    return !conn || !conn->open();
  });
}

void LivePeerRechecks::start() {
  timer_ = std::make_unique<boost::asio::steady_timer>(ex_);
  schedule();
}

void LivePeerRechecks::stop() {
  *stopped_ = true;
  if (timer_) timer_->cancel();
}

void LivePeerRechecks::schedule() {
  if (*stopped_) return;
  timer_->expires_after(interval_);
  timer_->async_wait([this, stopped = stopped_](boost::system::error_code ec) {
    if (ec || *stopped) return;
    sweep("periodic");
    schedule();
  });
}

std::size_t LivePeerRechecks::sweep(const std::string& occasion) {
  prune();
  if (!policy_->current()->unavailable.empty()) {
    ++skipped_;
    return 0;
  }
  ++sweeps_;
  // Closing runs the owners' close handlers at once; work on a copy.
  auto watched = watched_;
  std::vector<const net::Connection*> dropped;
  for (auto& w : watched) {
    auto conn = w.conn.lock();
    if (!conn || !conn->open()) continue;
    auto& verifier = verifiers_[w.role];
    if (!verifier) verifier = verifier_for_(w.role);
    crypto::PeerIdentity identity;
    std::string reason;
    X509* cert = conn->peer_certificate().get();
    if (!cert)
      reason = "the connection kept no peer certificate";
    else if (verifier->verify(cert, identity, reason))
      continue;
    std::string check = check_of(reason);
    ++dropped_[check];
    dropped.push_back(conn.get());
    last_drop_ = w.role + " " + conn->peer_node_id() + ": " + reason;
    spdlog::warn("attestation: dropping live {} {} (conn={}, key={}) on re-check ({}): {}", w.role,
                 conn->peer_node_id(), conn->id(), conn->peer_identity().public_key_hex, occasion, reason);
    conn->close("attestation re-check failed: " + reason);
  }
  // Gone from the table now, even while the Goodbye is still being flushed.
  std::erase_if(watched_, [&](const Watched& w) {
    auto conn = w.conn.lock();
    return !conn || std::find(dropped.begin(), dropped.end(), conn.get()) != dropped.end();
  });
  prune();
  return dropped.size();
}

nlohmann::json LivePeerRechecks::stats() const {
  return {{"interval_s", interval_.count()},          {"watched", watched_.size()},      {"sweeps", sweeps_},
          {"skipped_registry_unavailable", skipped_}, {"connections_dropped", dropped_}, {"last_drop", last_drop_}};
}

}  // namespace chrysalis::attest
