#include "proxy/routing_affinity.h"

#include <functional>

#include "api/prompt_prefix.h"

namespace chrysalis::proxy {

uint64_t prompt_prefix_hash(const nlohmann::json& body, std::size_t chars) {
  std::string prefix = api::prompt_prefix(body, chars);
  if (prefix.empty()) return 0;
  uint64_t h = std::hash<std::string_view>{}(prefix);
  return h == 0 ? 1 : h;
}

std::string PrefixAffinity::worker_for(uint64_t hash) const {
  auto it = index_.find(hash);
  return it == index_.end() ? std::string() : it->second->second;
}

void PrefixAffinity::remember(uint64_t hash, const std::string& worker_key) {
  if (hash == 0 || capacity_ == 0) return;
  if (auto it = index_.find(hash); it != index_.end()) order_.erase(it->second);
  order_.emplace_front(hash, worker_key);
  index_[hash] = order_.begin();
  if (order_.size() > capacity_) {
    index_.erase(order_.back().first);
    order_.pop_back();
  }
}

}  // namespace chrysalis::proxy
