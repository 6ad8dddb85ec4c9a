#pragma once
// Requests waiting for a worker slot (docs/INTERFACES.md, "Admission"). When every worker for a
// model is busy, a request waits here instead of being refused: one queue per model, fair across
// clients (round robin over the clients that have something waiting, each client's own requests
// in order), bounded per model and per client. A request is refused (429 with Retry-After) only
// when its queue is full, or when the wait this queue predicts for it would outlast its deadline.
// No socket, no timer: the proxy pushes, pops when a slot frees and removes what left.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

namespace chrysalis::proxy {

struct AdmissionLimits {
  std::size_t max_per_model = 256;   // waiting requests per model
  std::size_t max_per_client = 32;   // waiting requests per client connection, across models
  std::size_t max_models = 1024;     // models with a queue at once
  uint32_t max_wait_ms = 30'000;     // the longest a request waits (its own deadline may be shorter)
};

// What the queue knows of the model's capacity when a request arrives, to predict its wait.
struct ModelCapacity {
  uint32_t slots = 0;            // enabled workers' concurrent slots
  double request_ms = 0;         // a typical request's time on a worker (0: unknown)
};

struct AdmissionRefusal {
  std::string code, message;
  uint32_t retry_after_s = 1;
};

class AdmissionQueue {
 public:
  explicit AdmissionQueue(AdmissionLimits limits) : limits_(limits) {}

  // Queues `ticket` (a caller's id, not 0) of `client` for `model`, or says why not: the queue is
  // full, or the predicted wait exceeds `remaining_ms` (what is left of the request's deadline).
  std::optional<AdmissionRefusal> push(uint64_t ticket, const std::string& model, uint64_t client,
                                       const ModelCapacity& capacity, uint32_t remaining_ms);
  // The next ticket for `model` in fair order (0: none waiting). The caller dispatches it, or puts
  // it back with `put_back` when no slot turned out to fit it.
  uint64_t pop(const std::string& model);
  // Undoes a pop: back at the head of its client's line, its client first in the rotation.
  void put_back(uint64_t ticket, const std::string& model, uint64_t client);
  // A ticket that left while waiting (cancelled, timed out). False when it was not queued.
  bool remove(uint64_t ticket);

  std::size_t depth(const std::string& model) const;
  std::size_t size() const { return tickets_.size(); }
  // Depth per model, the limits, and what happened to requests that asked to wait.
  nlohmann::json stats() const;
  // Predicted wait (ms) for a request joining `model`'s queue now.
  uint32_t predicted_wait_ms(const std::string& model, const ModelCapacity& capacity) const;

 private:
  struct ModelQueue {
    std::map<uint64_t, std::deque<uint64_t>> by_client;  // client -> its tickets, oldest first
    std::deque<uint64_t> rotation;                       // clients with tickets, next to serve first
    std::size_t depth = 0;
  };
  struct Where {
    std::string model;
    uint64_t client = 0;
  };
  void erase_ticket(ModelQueue& q, uint64_t client, uint64_t ticket);

  AdmissionLimits limits_;
  std::map<std::string, ModelQueue> models_;
  std::map<uint64_t, Where> tickets_;
  std::map<uint64_t, std::size_t> per_client_;
  uint64_t queued_ = 0, refused_full_ = 0, refused_wait_ = 0;
};

}  // namespace chrysalis::proxy
