#include "proxy/routing_affinity.h"

#include <functional>

namespace chrysalis::proxy {

uint64_t prompt_prefix_hash(const nlohmann::json& body, std::size_t chars) {
  if (chars == 0 || !body.is_object()) return 0;
  std::string text;
  if (body.contains("messages") && body["messages"].is_array()) {
    for (auto& m : body["messages"]) {
      if (!m.is_object() || !m.contains("content")) continue;
      text += m["content"].is_string() ? m["content"].get<std::string>() : m["content"].dump();
      text += '\n';
      if (text.size() >= chars) break;
    }
  } else if (body.contains("prompt")) {
    text = body["prompt"].is_string() ? body["prompt"].get<std::string>() : body["prompt"].dump();
  }
  if (text.size() < chars) return 0;
  uint64_t h = std::hash<std::string_view>{}(std::string_view(text).substr(0, chars));
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
