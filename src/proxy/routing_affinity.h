#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>

namespace chrysalis::proxy {

// Hash of the first `chars` characters of the prompt (chat messages or completion prompt);
// 0 when the prompt is shorter, since short prefixes gain nothing from an engine's prefix cache.
uint64_t prompt_prefix_hash(const nlohmann::json& body, std::size_t chars);

// Which worker last served each prompt prefix, for the newest `capacity` prefixes.
class PrefixAffinity {
 public:
  explicit PrefixAffinity(std::size_t capacity = 10000) : capacity_(capacity) {}
  // The worker key that served `hash` last, or "" when unknown.
  std::string worker_for(uint64_t hash) const;
  void remember(uint64_t hash, const std::string& worker_key);
  std::size_t size() const { return index_.size(); }

 private:
  std::size_t capacity_;
  std::list<std::pair<uint64_t, std::string>> order_;  // newest first
  std::unordered_map<uint64_t, std::list<std::pair<uint64_t, std::string>>::iterator> index_;
};

}  // namespace chrysalis::proxy
