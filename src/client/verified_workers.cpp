#include "client/verified_workers.h"

#include <algorithm>

namespace chrysalis::client {
namespace {

template <typename Map>
void evict_oldest(Map& map, uint64_t& evicted) {
  auto oldest = std::min_element(map.begin(), map.end(),
                                 [](const auto& a, const auto& b) { return a.second.last_ms < b.second.last_ms; });
  if (oldest != map.end()) map.erase(oldest), ++evicted;
}

}  // namespace

void VerifiedWorkers::record(const std::string& model, const e2e::VerifiedWorker& worker, int64_t now_ms) {
  if (!models_.count(model) && models_.size() >= kMaxModels) evict_oldest(models_, evicted_);
  auto& m = models_[model];
  m.last_ms = now_ms;
  if (!m.workers.count(worker.public_key_hex) && m.workers.size() >= kMaxWorkersPerModel)
    evict_oldest(m.workers, evicted_);
  auto& seen = m.workers[worker.public_key_hex];
  if (seen.answers == 0) seen.first_ms = now_ms;
  seen.image_hash = worker.image_hash;
  seen.model_hash = worker.model_hash;
  seen.answers++;
  seen.last_ms = now_ms;
}

nlohmann::json VerifiedWorkers::for_model(const std::string& model) const {
  nlohmann::json list = nlohmann::json::array();
  uint64_t answers = 0;
  if (auto it = models_.find(model); it != models_.end()) {
    for (const auto& [key, seen] : it->second.workers) {
      list.push_back({{"key", key},
                      {"image_hash", seen.image_hash.empty() ? nlohmann::json() : nlohmann::json(seen.image_hash)},
                      {"model_hash", seen.model_hash},
                      {"answers", seen.answers},
                      {"first_verified_ms", seen.first_ms},
                      {"last_verified_ms", seen.last_ms}});
      answers += seen.answers;
    }
  }
  return {{"workers", list}, {"answers", answers}};
}

nlohmann::json VerifiedWorkers::stats() const {
  size_t workers = 0;
  for (const auto& [name, m] : models_) workers += m.workers.size();
  return {{"models", models_.size()},
          {"workers", workers},
          {"max_models", kMaxModels},
          {"max_workers_per_model", kMaxWorkersPerModel},
          {"evicted", evicted_}};
}

}  // namespace chrysalis::client
