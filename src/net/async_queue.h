#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <deque>
#include <optional>

namespace chrysalis::net {

// Single-consumer queue for one io_context thread: producers push from callbacks,
// one coroutine awaits items. A timer serves as the wake-up signal.
template <typename T>
class AsyncQueue {
 public:
  explicit AsyncQueue(boost::asio::any_io_executor ex) : signal_(ex) {}

  void push(T item) {
    if (closed_) return;
    items_.push_back(std::move(item));
    signal_.cancel();
  }
  void close() {
    closed_ = true;
    signal_.cancel();
  }
  bool closed() const { return closed_; }
  // Takes items again after close() or interrupt() (the consumer decided to keep listening).
  void reopen() {
    closed_ = false;
    interrupted_ = false;
  }
  // Wakes the consumer once, as close() does, but keeps taking items: what arrives meanwhile is
  // still there if the consumer goes on listening (an app that left still gets its receipt checked
  // against every part the worker sent).
  void interrupt() {
    interrupted_ = true;
    signal_.cancel();
  }

  // The item pop() would return now without waiting, if any.
  const T* ready() const { return items_.empty() ? nullptr : &items_.front(); }

  // Next item; nullopt when closed and drained, once after interrupt() with nothing queued, or
  // when `deadline` passes first.
  boost::asio::awaitable<std::optional<T>> pop(
      std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max()) {
    while (items_.empty() && !closed_ && !interrupted_) {
      if (std::chrono::steady_clock::now() >= deadline) co_return std::nullopt;
      signal_.expires_at(deadline);
      boost::system::error_code ec;
      co_await signal_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    if (items_.empty()) {
      interrupted_ = false;
      co_return std::nullopt;
    }
    T item = std::move(items_.front());
    items_.pop_front();
    co_return item;
  }

 private:
  std::deque<T> items_;
  boost::asio::steady_timer signal_;
  bool closed_ = false;
  bool interrupted_ = false;
};

}  // namespace chrysalis::net
