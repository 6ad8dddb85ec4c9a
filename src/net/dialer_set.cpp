#include "net/dialer_set.h"

#include <spdlog/spdlog.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include "common/time.h"

namespace chrysalis::net {

namespace asio = boost::asio;

namespace {

bool same_target(const DialTarget& a, const DialTarget& b) {
  return a.endpoint.to_string() == b.endpoint.to_string() && a.expected_key_hex == b.expected_key_hex;
}

}  // namespace

DialerSet::DialerSet(asio::any_io_executor ex, std::shared_ptr<asio::ssl::context> tls, ConnectionOptions options,
                     Dialer::OnUp on_up, Dialer::OnFrame on_frame, Dialer::OnDown on_down)
    : ex_(ex),
      tls_(std::move(tls)),
      options_(std::move(options)),
      on_up_(std::move(on_up)),
      on_frame_(std::move(on_frame)),
      on_down_(std::move(on_down)) {}

DialerSet::~DialerSet() {
  *alive_ = false;
  stop();
}

std::shared_ptr<Dialer> DialerSet::make_dialer(const DialTarget& target) {
  auto alive = alive_;
  std::string expected = target.expected_key_hex;
  std::string where = target.endpoint.to_string();
  return std::make_shared<Dialer>(
      ex_, target.endpoint, tls_, options_,
      [this, alive, expected, where](std::shared_ptr<Connection> conn) {
        if (!*alive) return;
        // The registry names the key a proxy must present: an endpoint now answered by another
        // (attested, but unlisted) key is not the proxy the root lists.
        if (!expected.empty() && conn->peer_identity().public_key_hex != expected) {
          ++key_mismatches_;
          conn->close("the proxy at " + where + " presented key " + conn->peer_identity().public_key_hex +
                      ", but the root contract lists " + expected + " there");
          return;
        }
        accepted_.insert(conn->id());
        on_up_(std::move(conn));
      },
      [this, alive](const std::shared_ptr<Connection>& conn, proto::Frame& frame) {
        if (*alive && accepted_.count(conn->id())) on_frame_(conn, frame);
      },
      [this, alive](const std::shared_ptr<Connection>& conn, const std::string& reason) {
        if (!*alive || !accepted_.erase(conn->id())) return;
        on_down_(conn, reason);
      });
}

void DialerSet::set_targets(std::vector<DialTarget> targets) {
  for (auto& entry : entries_) {
    bool wanted = std::any_of(targets.begin(), targets.end(), [&](const DialTarget& t) { return same_target(t, entry.target); });
    if (!wanted && !entry.retiring) {
      entry.retiring = true;
      entry.retired_at_us = steady_now_us();
      ++retired_;
      spdlog::info("proxy {} ({}) left the target list: no new work goes to it", entry.target.endpoint.to_string(),
                   entry.target.source);
    } else if (wanted && entry.retiring) {
      entry.retiring = false;  // came back before it was closed
    }
  }
  for (auto& target : targets) {
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return same_target(e.target, target); });
    if (it != entries_.end()) {
      it->target.source = target.source;
      continue;
    }
    Entry entry{target, make_dialer(target)};
    spdlog::info("dialing proxy {} ({})", target.endpoint.to_string(), target.source);
    entry.dialer->start();
    ++dialed_;
    entries_.push_back(std::move(entry));
  }
  sweep();
}

void DialerSet::stop() {
  for (auto& entry : entries_) entry.dialer->stop();
  if (sweep_timer_) sweep_timer_->cancel();
}

std::vector<std::shared_ptr<Connection>> DialerSet::active_connections() const {
  std::vector<std::shared_ptr<Connection>> out;
  for (auto& entry : entries_) {
    auto c = entry.dialer->connection();
    if (!entry.retiring && c && c->open() && accepted_.count(c->id())) out.push_back(c);
  }
  return out;
}

std::vector<std::shared_ptr<Connection>> DialerSet::open_connections() const {
  std::vector<std::shared_ptr<Connection>> out;
  for (auto& entry : entries_) {
    auto c = entry.dialer->connection();
    if (c && c->open() && accepted_.count(c->id())) out.push_back(c);
  }
  return out;
}

nlohmann::json DialerSet::stats() const {
  size_t retiring = std::count_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.retiring; });
  return {{"targets", entries_.size() - retiring},
          {"retiring", retiring},
          {"retire_grace_ms", grace_ms_},
          {"dialed", dialed_},
          {"retired", retired_},
          {"refused_other_key", key_mismatches_}};
}

// Closes retiring connections that are idle or past their grace period; checks again every
// 500 ms while any remain.
void DialerSet::sweep() {
  const int64_t now = steady_now_us();
  std::vector<Entry> kept;
  for (auto& entry : entries_) {
    if (!entry.retiring) {
      kept.push_back(std::move(entry));
      continue;
    }
    auto c = entry.dialer->connection();
    bool open = c && c->open();
    bool idle = !open || (idle_ && idle_(*c));
    if (idle || now - entry.retired_at_us >= grace_ms_ * 1000) {
      spdlog::info("closing proxy connection {} ({}): {}", entry.target.endpoint.to_string(), entry.target.source,
                   idle ? "idle after leaving the target list" : "grace period over");
      entry.dialer->stop();
      continue;
    }
    kept.push_back(std::move(entry));
  }
  entries_ = std::move(kept);
  bool any_retiring = std::any_of(entries_.begin(), entries_.end(), [](const Entry& e) { return e.retiring; });
  if (any_retiring) schedule_sweep();
}

void DialerSet::schedule_sweep() {
  if (sweep_scheduled_) return;
  sweep_scheduled_ = true;
  if (!sweep_timer_) sweep_timer_ = std::make_unique<asio::steady_timer>(ex_);
  sweep_timer_->expires_after(std::chrono::milliseconds(500));
  auto alive = alive_;
  sweep_timer_->async_wait([this, alive](const boost::system::error_code& ec) {
    if (!*alive) return;
    sweep_scheduled_ = false;
    if (!ec) sweep();
  });
}

}  // namespace chrysalis::net
