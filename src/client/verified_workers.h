#pragma once
// What this client verified itself about the workers behind each model (for GET /v1/models): each
// worker whose certificate passed the client's own policy and whose signed receipt held, by key,
// with its image and model hash, how many answers it served and when it was last checked. Bounded:
// the models and workers a proxy could make us track are capped, the least recently seen go first.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>

#include "e2e/client_side.h"

namespace chrysalis::client {

class VerifiedWorkers {
 public:
  static constexpr size_t kMaxModels = 256, kMaxWorkersPerModel = 32;

  // An answer for `model` whose receipt held, served by `worker` (verified by our policy).
  void record(const std::string& model, const e2e::VerifiedWorker& worker, int64_t now_ms);
  // {"workers": [...], "answers": N} for one model; empty list when none was verified yet.
  nlohmann::json for_model(const std::string& model) const;
  nlohmann::json stats() const;

 private:
  struct Seen {
    std::string image_hash, model_hash;
    uint64_t answers = 0;
    int64_t first_ms = 0, last_ms = 0;
  };
  struct Model {
    std::map<std::string, Seen> workers;  // by key (hex)
    int64_t last_ms = 0;
  };
  std::map<std::string, Model> models_;
  uint64_t evicted_ = 0;
};

}  // namespace chrysalis::client
