#pragma once
// A bounded map of results that expire: entries live until the `valid_until` they were stored
// with; when full, the least recently used goes first. Thread-safe. The verification caches
// (quotes, GPU evidence) keep only successes in one, so a peer that reconnects costs a hash.
#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace chrysalis {

template <typename Value>
class ExpiringLru {
 public:
  using time_point = std::chrono::system_clock::time_point;
  explicit ExpiringLru(std::size_t capacity) : capacity_(capacity) {}

  // The value stored under `key` while `now` is before its expiry; counts a hit or a miss.
  std::optional<Value> get(const std::string& key, time_point now) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      if (now < it->second.valid_until) {
        order_.splice(order_.begin(), order_, it->second.order);
        ++hits_;
        return it->second.value;
      }
      order_.erase(it->second.order);
      entries_.erase(it);
    }
    ++misses_;
    return std::nullopt;
  }

  // Removes and returns the value stored under `key` while `now` is before its expiry.
  std::optional<Value> take(const std::string& key, time_point now) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    std::optional<Value> value;
    if (now < it->second.valid_until) value = std::move(it->second.value);
    order_.erase(it->second.order);
    entries_.erase(it);
    return value;
  }

  void put(const std::string& key, Value value, time_point valid_until) {
    std::lock_guard lock(mutex_);
    if (entries_.count(key)) return;
    order_.push_front(key);
    entries_.emplace(key, Entry{std::move(value), valid_until, order_.begin()});
    while (entries_.size() > capacity_) {
      entries_.erase(order_.back());
      order_.pop_back();
    }
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }
  std::size_t capacity() const { return capacity_; }
  uint64_t hits() const {
    std::lock_guard lock(mutex_);
    return hits_;
  }
  uint64_t misses() const {
    std::lock_guard lock(mutex_);
    return misses_;
  }

 private:
  struct Entry {
    Value value;
    time_point valid_until;
    std::list<std::string>::iterator order;
  };
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::list<std::string> order_;  // front = most recent
  std::unordered_map<std::string, Entry> entries_;
  uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace chrysalis
