#include "client/proxy_pool.h"

#include "attest/ra_tls/attested_peer_verifier.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace chrysalis::client {

ProxyPool::ProxyPool(boost::asio::io_context& io, std::vector<Endpoint> proxies,
                     std::shared_ptr<boost::asio::ssl::context> tls, net::ConnectionOptions options)
    : io_(io) {
  for (auto& target : proxies) {
    dialers_.push_back(std::make_shared<net::Dialer>(
        io_.get_executor(), target, tls, options,
        [this](auto conn) {
          spdlog::info("connected to proxy {} at {}", conn->peer_node_id(), conn->remote());
          if (on_up_) on_up_(conn);
        },
        [this](const auto& conn, proto::Frame& f) { on_frame(conn, f); },
        [this](const auto& conn, const std::string& reason) { on_down(conn, reason); }));
  }
}

void ProxyPool::start() {
  for (auto& d : dialers_) d->start();
}

void ProxyPool::stop() {
  for (auto& d : dialers_) d->stop();
}

std::vector<std::shared_ptr<net::Connection>> ProxyPool::ready(const std::vector<uint64_t>& exclude) const {
  std::vector<std::shared_ptr<net::Connection>> out;
  for (auto& d : dialers_) {
    auto c = d->connection();
    if (c && c->open() && std::find(exclude.begin(), exclude.end(), c->id()) == exclude.end()) out.push_back(c);
  }
  sort_nearest_first(out, [](const auto& c) { return c->rtt_us(); });
  return out;
}

std::pair<uint64_t, std::shared_ptr<StreamQueue>> ProxyPool::open_stream(const std::shared_ptr<net::Connection>& conn) {
  uint64_t stream = conn->next_stream_id();
  auto queue = std::make_shared<StreamQueue>(io_.get_executor());
  streams_[{conn->id(), stream}] = queue;
  return {stream, queue};
}

void ProxyPool::close_stream(uint64_t conn_id, uint64_t stream) { streams_.erase({conn_id, stream}); }

void ProxyPool::on_frame(const std::shared_ptr<net::Connection>& conn, proto::Frame& frame) {
  if (frame.stream() == 0 && (frame.has_billing_info() || frame.has_payment_update())) {
    if (on_connection_frame_) on_connection_frame_(conn, frame);
    return;
  }
  if (frame.stream() == 0 || frame.stream() % 2 == 0) {
    conn->close("protocol violation: proxy answered on a stream the client never opened");
    return;
  }
  auto it = streams_.find({conn->id(), frame.stream()});
  if (it == streams_.end()) return;  // the app went away; late frames are dropped
  it->second->push(StreamEvent{std::move(frame), false, {}});
}

void ProxyPool::on_down(const std::shared_ptr<net::Connection>& conn, const std::string& reason) {
  spdlog::warn("lost proxy {} ({}): {}", conn->peer_node_id(), conn->remote(), reason);
  for (auto& [key, queue] : streams_)
    if (key.first == conn->id()) queue->push(StreamEvent{{}, true, reason});
}

std::string ProxyPool::unavailable_reason() const {
  std::string out;
  for (auto& d : dialers_) {
    if (!out.empty()) out += "; ";
    out += d->target().to_string() + ": " + (d->last_error().empty() ? "connecting" : d->last_error());
  }
  return out;
}

nlohmann::json ProxyPool::stats() const {
  nlohmann::json out = nlohmann::json::array();
  for (auto& d : dialers_) {
    auto c = d->connection();
    out.push_back({{"target", d->target().to_string()},
                   {"connected", c && c->open()},
                   {"proxy_id", c ? c->peer_node_id() : ""},
                   {"public_key", c ? c->peer_identity().public_key_hex : ""},
                   {"rtt_ms", c ? c->rtt_us() / 1000.0 : -1},
                   {"last_error", d->last_error()},
                   {"attempts", d->attempts()},
                   {"attestation", c ? attest::peer_attestation_json(c->peer_identity()) : nlohmann::json()}});
  }
  return out;
}

}  // namespace chrysalis::client
