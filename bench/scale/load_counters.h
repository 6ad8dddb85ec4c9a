#pragma once
// What the scale load saw, counted on its single thread: frames each way, answers, errors, and
// the whole-answer latency of every request that ended inside the measured window.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace chrysalis::bench {

struct LoadCounters {
  // Application frames the load exchanged with the proxy (pings and pongs not counted): what
  // the proxy itself received and sent, give or take the frames in flight.
  uint64_t worker_frames_in = 0, worker_frames_out = 0;
  uint64_t client_frames_in = 0, client_frames_out = 0;
  uint64_t requests_sent = 0, answers = 0, errors = 0;
  uint64_t worker_requests = 0;  // InferenceRequests the simulated workers answered (spot checks included)
  uint64_t market_queries = 0, market_replies = 0;
  uint64_t workers_lost = 0, clients_lost = 0;
  std::map<std::string, uint64_t> error_codes;    // answers that ended in an error, by code
  std::map<std::string, uint64_t> close_reasons;  // connections the proxy closed, by reason (first 80 chars)

  bool measuring = false;
  std::vector<double> latency_ms;  // whole answer, request sent -> end received (while measuring)
  std::vector<double> ttfb_ms;     // request sent -> head received (while measuring)
  std::vector<double> market_ms;   // ModelsQuery sent -> reply (since the last phase began)

  uint64_t frames() const { return worker_frames_in + worker_frames_out + client_frames_in + client_frames_out; }

  void note_close(const std::string& reason) { ++close_reasons[reason.substr(0, 80)]; }

  static double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
  }

  nlohmann::json json() const {
    return {{"frames",
             {{"worker_in", worker_frames_in},
              {"worker_out", worker_frames_out},
              {"client_in", client_frames_in},
              {"client_out", client_frames_out},
              {"total", frames()}}},
            {"requests_sent", requests_sent},
            {"answers", answers},
            {"errors", errors},
            {"error_codes", error_codes},
            {"worker_requests", worker_requests},
            {"market", {{"queries", market_queries}, {"replies", market_replies}}},
            {"lost", {{"workers", workers_lost}, {"clients", clients_lost}}},
            {"close_reasons", close_reasons}};
  }
};

}  // namespace chrysalis::bench
