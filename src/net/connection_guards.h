#pragma once
// What a peer may cost a node on one connection (queued bytes it does not read, time a write may
// hang, frames per second), and how often each bound had to disconnect someone. One instance per
// listener or dialer, shared by its connections, shown on /stats.
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace chrysalis::net {

struct ConnectionLimits {
  std::size_t max_queued_bytes = 64 << 20;         // unsent bytes; more means the peer is not reading
  std::chrono::milliseconds write_timeout{30000};  // one write that makes no progress this long
  uint32_t max_frames_per_s = 0;                   // 0: unlimited; burst: 2 s worth
  // Above the rate: true reads the peer more slowly (TCP pushes back on it; what it has in flight
  // survives), false disconnects it. Links that carry many answers (a worker's) throttle.
  bool throttle_frame_rate = false;
};

struct ConnectionGuards {
  std::atomic<uint64_t> send_queue_full{0};
  std::atomic<uint64_t> write_timeouts{0};
  std::atomic<uint64_t> frame_rate_exceeded{0};
  std::atomic<uint64_t> frame_rate_pauses{0};  // throttled links: reads held back for the rate
  std::atomic<uint64_t> peak_queued_bytes{0};

  void note_queued(std::size_t bytes) {
    uint64_t seen = peak_queued_bytes.load();
    while (bytes > seen && !peak_queued_bytes.compare_exchange_weak(seen, bytes)) {
    }
  }
  nlohmann::json json(const ConnectionLimits& limits) const {
    return {{"max_queued_bytes", limits.max_queued_bytes},
            {"write_timeout_ms", limits.write_timeout.count()},
            {"max_frames_per_s", limits.max_frames_per_s},
            {"above_frame_rate", limits.throttle_frame_rate ? "throttle" : "disconnect"},
            {"frame_rate_pauses", frame_rate_pauses.load()},
            {"disconnected",
             {{"send_queue_full", send_queue_full.load()},
              {"write_timeout", write_timeouts.load()},
              {"frame_rate", frame_rate_exceeded.load()}}},
            {"peak_queued_bytes", peak_queued_bytes.load()}};
  }
};

}  // namespace chrysalis::net
