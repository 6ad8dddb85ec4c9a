#pragma once
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "net/async_queue.h"
#include "net/dialer_set.h"

namespace chrysalis::client {

// A frame for one request stream, or the news that its proxy connection went away.
struct StreamEvent {
  proto::Frame frame;
  bool connection_lost = false;
  std::string reason;
};
using StreamQueue = net::AsyncQueue<StreamEvent>;

// Orders `items` (in configured order) nearest first by round-trip time: an unknown RTT
// (negative: no pong yet) sorts after the measured ones, and the configured order breaks ties.
template <class T, class RttUs>
void sort_nearest_first(std::vector<T>& items, RttUs rtt_us) {
  auto key = [&](const T& item) -> int64_t {
    int64_t rtt = rtt_us(item);
    return rtt < 0 ? INT64_MAX : rtt;
  };
  std::stable_sort(items.begin(), items.end(), [&](const T& a, const T& b) { return key(a) < key(b); });
}

// The client's connections to its proxies: keeps each one up and routes incoming frames to
// the queue of the request stream they belong to. The proxies come from the configuration or,
// when it names none, from the root contract's list (set_targets on every registry read); a
// proxy that leaves the list takes no new requests and is closed once its streams are done.
class ProxyPool {
 public:
  ProxyPool(boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls,
            net::ConnectionOptions options);
  void set_targets(std::vector<net::DialTarget> targets) { dialers_.set_targets(std::move(targets)); }
  void stop();
  // Connection-level hooks (billing): a proxy came up; a stream-0 frame the pool does not handle.
  void set_connection_hooks(
      std::function<void(const std::shared_ptr<net::Connection>&)> on_up,
      std::function<void(const std::shared_ptr<net::Connection>&, const proto::Frame&)> on_frame) {
    on_up_ = std::move(on_up);
    on_connection_frame_ = std::move(on_frame);
  }

  // Connected proxies, nearest (lowest round-trip time) first, skipping `exclude` (connection ids).
  std::vector<std::shared_ptr<net::Connection>> ready(const std::vector<uint64_t>& exclude = {}) const;
  // Opens a stream on `conn`; frames for it arrive in the returned queue until close_stream().
  std::pair<uint64_t, std::shared_ptr<StreamQueue>> open_stream(const std::shared_ptr<net::Connection>& conn);
  void close_stream(uint64_t conn_id, uint64_t stream);
  // Why no proxy is usable, naming each one.
  std::string unavailable_reason() const;
  nlohmann::json stats() const;
  nlohmann::json dialer_stats() const { return dialers_.stats(); }

 private:
  void on_frame(const std::shared_ptr<net::Connection>& conn, proto::Frame& frame);
  void on_down(const std::shared_ptr<net::Connection>& conn, const std::string& reason);

  bool has_streams(uint64_t conn_id) const;

  boost::asio::io_context& io_;
  net::DialerSet dialers_;
  std::map<std::pair<uint64_t, uint64_t>, std::shared_ptr<StreamQueue>> streams_;
  std::function<void(const std::shared_ptr<net::Connection>&)> on_up_;
  std::function<void(const std::shared_ptr<net::Connection>&, const proto::Frame&)> on_connection_frame_;
};

}  // namespace chrysalis::client
