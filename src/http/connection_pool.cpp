#include "http/connection_pool.h"

#include <sys/socket.h>

#include <cerrno>

namespace chrysalis::http {

namespace {
// An idle HTTP/1.1 connection has nothing to read: bytes mean the server closed it (0 on recv)
// or sent something unasked; either way it cannot carry the next request.
bool still_open(boost::asio::ip::tcp::socket& socket) {
  if (!socket.is_open()) return false;
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}
}  // namespace

std::optional<boost::asio::ip::tcp::socket> ConnectionPool::take(const std::string& authority) {
  auto it = idle_.find(authority);
  if (it == idle_.end()) return std::nullopt;
  auto now = std::chrono::steady_clock::now();
  auto& list = it->second;
  // Newest first: the one least likely to have been closed by the server meanwhile.
  while (!list.empty()) {
    Idle entry = std::move(list.back());
    list.pop_back();
    if (now - entry.since <= limits_.max_idle && still_open(entry.socket)) {
      ++reused_;
      return std::move(entry.socket);
    }
    ++closed_stale_;
    boost::system::error_code ignored;
    entry.socket.close(ignored);
  }
  return std::nullopt;
}

void ConnectionPool::give_back(const std::string& authority, boost::asio::ip::tcp::socket socket) {
  auto& list = idle_[authority];
  auto now = std::chrono::steady_clock::now();
  // The oldest ones expire first: drop those past max_idle while we are here.
  while (!list.empty() && now - list.front().since > limits_.max_idle) {
    boost::system::error_code ignored;
    list.front().socket.close(ignored);
    list.pop_front();
    ++closed_stale_;
  }
  if (list.size() >= limits_.max_idle_per_host) {
    ++closed_full_;
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  ++kept_;
  list.push_back({std::move(socket), now});
}

void ConnectionPool::clear() {
  for (auto& [authority, list] : idle_)
    for (auto& entry : list) {
      boost::system::error_code ignored;
      entry.socket.close(ignored);
    }
  idle_.clear();
}

std::size_t ConnectionPool::idle() const {
  std::size_t n = 0;
  for (const auto& [authority, list] : idle_) n += list.size();
  return n;
}

nlohmann::json ConnectionPool::stats() const {
  return {{"idle", idle()},
          {"max_idle_per_host", limits_.max_idle_per_host},
          {"max_idle_ms", limits_.max_idle.count()},
          {"opened", opened_},
          {"reused", reused_},
          {"kept", kept_},
          {"closed_pool_full", closed_full_},
          {"closed_stale", closed_stale_},
          {"stale_retries", stale_retries_}};
}

}  // namespace chrysalis::http
