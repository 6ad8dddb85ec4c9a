#pragma once
// Work that may happen only once the books' writes up to a ticket are on disk (an answer's end,
// which tells the client what it was charged): kept here until the books' writer thread reports
// that ticket written, then run on the proxy's I/O thread.
#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "billing/proxy_ledger.h"

namespace chrysalis::proxy {

class DurableWaiters {
 public:
  explicit DurableWaiters(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}
  ~DurableWaiters();

  // Follows `ledger`'s writes from now on (a new ledger: tickets start again).
  void attach(billing::ProxyLedger& ledger);
  // Before the followed ledger is destroyed (which writes everything queued): runs every waiter.
  void detach();
  // Runs `f` once ticket is written (at once if it already is).
  void after(uint64_t ticket, std::function<void()> f);
  nlohmann::json stats() const;

 private:
  void written(uint64_t through);

  boost::asio::any_io_executor ex_;
  // The writer thread's posts check this: none runs after this object is gone or re-attached.
  std::shared_ptr<uint64_t> generation_ = std::make_shared<uint64_t>(0);
  uint64_t written_through_ = 0;
  std::multimap<uint64_t, std::function<void()>> waiting_;
  uint64_t ran_ = 0, most_waiting_ = 0;
};

}  // namespace chrysalis::proxy
