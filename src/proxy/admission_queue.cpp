#include "proxy/admission_queue.h"

#include <algorithm>
#include <cmath>

namespace chrysalis::proxy {

namespace {
uint32_t seconds_for(uint32_t ms) { return std::clamp<uint32_t>((ms + 999) / 1000, 1, 60); }
}  // namespace

uint32_t AdmissionQueue::predicted_wait_ms(const std::string& model, const ModelCapacity& capacity) const {
  // Everyone ahead, and this request, share the model's slots; each holds one for a typical request.
  double ahead = static_cast<double>(depth(model)) + 1;
  double request_ms = capacity.request_ms > 0 ? capacity.request_ms : 1000;
  double slots = std::max<uint32_t>(capacity.slots, 1);
  return static_cast<uint32_t>(std::min(ahead / slots * request_ms, 3.6e6));
}

std::optional<AdmissionRefusal> AdmissionQueue::push(uint64_t ticket, const std::string& model, uint64_t client,
                                                     const ModelCapacity& capacity, uint32_t remaining_ms) {
  uint32_t wait_ms = predicted_wait_ms(model, capacity);
  auto full = [&](const std::string& what, std::size_t limit) {
    ++refused_full_;
    return AdmissionRefusal{"queue_full",
                            "all workers for model '" + model + "' are busy and " + what + " already holds " +
                                std::to_string(limit) + " waiting requests",
                            seconds_for(wait_ms)};
  };
  if (depth(model) >= limits_.max_per_model) return full("its queue", limits_.max_per_model);
  auto mine = per_client_.find(client);
  if (mine != per_client_.end() && mine->second >= limits_.max_per_client) return full("this client's share of the queue", limits_.max_per_client);
  if (!models_.count(model) && models_.size() >= limits_.max_models) return full("the proxy's queue", limits_.max_models);
  uint32_t limit_ms = std::min(remaining_ms, limits_.max_wait_ms);
  if (wait_ms > limit_ms) {
    ++refused_wait_;
    return AdmissionRefusal{"all_workers_busy",
                            "all workers for model '" + model + "' are busy; the wait for a slot would be about " +
                                std::to_string(wait_ms) + " ms, more than the " + std::to_string(limit_ms) +
                                " ms this request may wait",
                            seconds_for(wait_ms)};
  }
  auto& q = models_[model];
  auto& line = q.by_client[client];
  if (line.empty()) q.rotation.push_back(client);
  line.push_back(ticket);
  ++q.depth;
  ++per_client_[client];
  tickets_[ticket] = {model, client};
  ++queued_;
  return std::nullopt;
}

uint64_t AdmissionQueue::pop(const std::string& model) {
  auto it = models_.find(model);
  if (it == models_.end() || it->second.rotation.empty()) return 0;
  auto& q = it->second;
  uint64_t client = q.rotation.front();
  q.rotation.pop_front();
  auto& line = q.by_client[client];
  uint64_t ticket = line.front();
  line.pop_front();
  if (line.empty())
    q.by_client.erase(client);
  else
    q.rotation.push_back(client);  // its next request waits for every other client's turn
  --q.depth;
  if (--per_client_[client] == 0) per_client_.erase(client);
  tickets_.erase(ticket);
  if (q.depth == 0) models_.erase(it);
  return ticket;
}

void AdmissionQueue::put_back(uint64_t ticket, const std::string& model, uint64_t client) {
  auto& q = models_[model];
  auto& line = q.by_client[client];
  // Its client is first again, as before the pop: a pop and a put_back change nothing.
  q.rotation.erase(std::remove(q.rotation.begin(), q.rotation.end(), client), q.rotation.end());
  q.rotation.push_front(client);
  line.push_front(ticket);
  ++q.depth;
  ++per_client_[client];
  tickets_[ticket] = {model, client};
}

void AdmissionQueue::erase_ticket(ModelQueue& q, uint64_t client, uint64_t ticket) {
  auto& line = q.by_client[client];
  line.erase(std::remove(line.begin(), line.end(), ticket), line.end());
  if (line.empty()) {
    q.by_client.erase(client);
    q.rotation.erase(std::remove(q.rotation.begin(), q.rotation.end(), client), q.rotation.end());
  }
  --q.depth;
}

bool AdmissionQueue::remove(uint64_t ticket) {
  auto it = tickets_.find(ticket);
  if (it == tickets_.end()) return false;
  auto [model, client] = it->second;
  tickets_.erase(it);
  auto mit = models_.find(model);
  if (mit != models_.end()) {
    erase_ticket(mit->second, client, ticket);
    if (mit->second.depth == 0) models_.erase(mit);
  }
  if (--per_client_[client] == 0) per_client_.erase(client);
  return true;
}

std::size_t AdmissionQueue::depth(const std::string& model) const {
  auto it = models_.find(model);
  return it == models_.end() ? 0 : it->second.depth;
}

nlohmann::json AdmissionQueue::stats() const {
  nlohmann::json depths = nlohmann::json::object();
  for (const auto& [model, q] : models_) depths[model] = q.depth;
  return {{"waiting", tickets_.size()},
          {"by_model", std::move(depths)},
          {"max_per_model", limits_.max_per_model},
          {"max_per_client", limits_.max_per_client},
          {"max_models", limits_.max_models},
          {"max_wait_ms", limits_.max_wait_ms},
          {"queued", queued_},
          {"refused_full", refused_full_},
          {"refused_wait", refused_wait_}};
}

}  // namespace chrysalis::proxy
