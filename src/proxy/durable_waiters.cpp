#include "proxy/durable_waiters.h"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace chrysalis::proxy {

DurableWaiters::~DurableWaiters() { ++*generation_; }

void DurableWaiters::attach(billing::ProxyLedger& ledger) {
  uint64_t generation = ++*generation_;
  written_through_ = 0;
  std::weak_ptr<uint64_t> alive = generation_;
  ledger.on_written([this, alive, generation, ex = ex_](uint64_t through) {
    boost::asio::post(ex, [this, alive, generation, through] {
      auto current = alive.lock();
      if (current && *current == generation) written(through);
    });
  });
}

void DurableWaiters::detach() {
  ++*generation_;
  auto all = std::exchange(waiting_, {});
  for (auto& [ticket, f] : all) {
    ++ran_;
    f();
  }
}

void DurableWaiters::after(uint64_t ticket, std::function<void()> f) {
  if (ticket <= written_through_) {
    ++ran_;
    f();
    return;
  }
  waiting_.emplace(ticket, std::move(f));
  most_waiting_ = std::max<uint64_t>(most_waiting_, waiting_.size());
}

void DurableWaiters::written(uint64_t through) {
  written_through_ = std::max(written_through_, through);
  while (!waiting_.empty() && waiting_.begin()->first <= written_through_) {
    auto f = std::move(waiting_.begin()->second);
    waiting_.erase(waiting_.begin());
    ++ran_;
    f();
  }
}

nlohmann::json DurableWaiters::stats() const {
  return {{"waiting", waiting_.size()}, {"most_waiting", most_waiting_}, {"ran", ran_}};
}

}  // namespace chrysalis::proxy
