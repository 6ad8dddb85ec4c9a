// The proxy node's side of the admission queue (admission_queue.h): a flow that found every worker
// busy waits here, and each freed slot of its model lets the next waiting flow, in fair order, try
// again. The flow takes its reservation when it is dispatched, not while it waits.
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "common/time.h"
#include "proxy/proxy_node.h"

namespace chrysalis::proxy {

void ProxyNode::enqueue(const FlowPtr& entry, const Enqueue& e) {
  uint64_t ticket = ++next_ticket_;
  auto refusal = admission_.push(ticket, e.model, entry->flow->client_conn(), workers_->capacity(e.model),
                                 e.remaining_ms);
  if (refusal) {
    metrics_.add("queue_refusals", {{"code", refusal->code}});
    apply(entry, entry->flow->on_queue_refused(429, refusal->code, refusal->message, refusal->retry_after_s,
                                               steady_now_us()));
    return;
  }
  entry->ticket = ticket;
  queued_[ticket] = entry;
  schedule_admission(e.model);  // a slot freed between the flow's choice and now is not missed
}

void ProxyNode::leave_queue(const FlowPtr& entry) {
  if (entry->ticket == 0) return;
  admission_.remove(entry->ticket);
  queued_.erase(entry->ticket);
  entry->ticket = 0;
}

void ProxyNode::schedule_admission(const std::string& model) {
  if (admission_.depth(model) == 0 || !admissions_due_.insert(model).second) return;
  // Posted: a slot is released inside another flow's step, which must finish first.
  boost::asio::post(io_, [this, model] {
    admissions_due_.erase(model);
    admit_waiting(model);
  });
}

void ProxyNode::admit_waiting(const std::string& model) {
  for (std::size_t n = admission_.depth(model); n > 0; --n) {
    uint64_t ticket = admission_.pop(model);
    auto it = queued_.find(ticket);
    if (it == queued_.end()) continue;
    FlowPtr entry = it->second;
    queued_.erase(it);
    entry->ticket = 0;
    apply(entry, entry->flow->on_admitted(steady_now_us()));
    if (entry->flow->phase() != FlowPhase::Queued) continue;
    // No slot for it after all: it keeps its place, and the next freed slot tries again.
    admission_.put_back(ticket, model, entry->flow->client_conn());
    entry->ticket = ticket;
    queued_[ticket] = entry;
    return;
  }
}

}  // namespace chrysalis::proxy
