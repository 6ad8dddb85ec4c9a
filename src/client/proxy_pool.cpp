#include "client/proxy_pool.h"

#include "attest/ra_tls/attested_peer_verifier.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace chrysalis::client {

ProxyPool::ProxyPool(boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls,
                     net::ConnectionOptions options)
    : io_(io),
      dialers_(
          io_.get_executor(), std::move(tls), std::move(options),
          [this](auto conn) {
            spdlog::info("connected to proxy {} at {}", conn->peer_node_id(), conn->remote());
            if (on_up_) on_up_(conn);
          },
          [this](const auto& conn, proto::Frame& f) { on_frame(conn, f); },
          [this](const auto& conn, const std::string& reason) { on_down(conn, reason); }) {
  // A proxy that left the root's list keeps its answers in flight for up to two minutes.
  dialers_.set_idle_check([this](const net::Connection& c) { return !has_streams(c.id()); }, 120'000);
}

void ProxyPool::stop() { dialers_.stop(); }

std::vector<std::shared_ptr<net::Connection>> ProxyPool::ready(const std::vector<uint64_t>& exclude) const {
  std::vector<std::shared_ptr<net::Connection>> out;
  for (auto& c : dialers_.active_connections())
    if (std::find(exclude.begin(), exclude.end(), c->id()) == exclude.end()) out.push_back(c);
  sort_nearest_first(out, [](const auto& c) { return c->rtt_us(); });
  return out;
}

bool ProxyPool::has_streams(uint64_t conn_id) const {
  auto it = streams_.lower_bound({conn_id, 0});
  return it != streams_.end() && it->first.first == conn_id;
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
  if (dialers_.entries().empty()) return "no proxy to dial: the configuration names none and the root lists none";
  std::string out;
  for (auto& e : dialers_.entries()) {
    if (!out.empty()) out += "; ";
    out += e.target.endpoint.to_string() + ": " +
           (e.retiring ? "left the proxy list"
                       : (e.dialer->last_error().empty() ? "connecting" : e.dialer->last_error()));
  }
  return out;
}

nlohmann::json ProxyPool::stats() const {
  nlohmann::json out = nlohmann::json::array();
  for (auto& e : dialers_.entries()) {
    auto& d = e.dialer;
    auto c = d->connection();
    out.push_back({{"target", d->target().to_string()},
                   {"source", e.target.source},
                   {"retiring", e.retiring},
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
