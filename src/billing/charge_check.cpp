#include "billing/charge_check.h"

#include <algorithm>

namespace chrysalis::billing {

std::string charge_problem(const proto::WorkerReceipt* worker, const proto::Usage& usage,
                           const proto::ProxyCountersign* countersign, const proto::Billing& billed,
                           const Prices& prices, const ReceivedBound* received) {
  const std::string tokens = std::to_string(billed.charged_tokens());
  if (!worker && received) {
    const proto::Usage& r = received->usage;
    TokenUsage u{r.prompt_tokens(), 0, r.completion_tokens(), 0};
    uint64_t worth = adjusted_tokens(u, received->coefficient, prices);
    if (billed.charged_tokens() > worth)
      return "it charged " + tokens + " tokens for an unsigned part of an answer whose received tokens are worth " +
             std::to_string(worth);
    if (billed.cost_nano() != client_cost_nano(billed.charged_tokens(), prices))
      return "it billed " + std::to_string(billed.cost_nano()) + " nanoTON for " + tokens +
             " tokens, which is not the network's price";
    return "";
  }
  if (!worker)
    return billed.charged_tokens() == 0
               ? ""
               : "it charged " + tokens + " tokens for an answer without a valid worker receipt";
  if (countersign &&
      (countersign->charged_tokens() != billed.charged_tokens() || countersign->cost_nano() != billed.cost_nano()))
    return "its countersigned charge (" + std::to_string(countersign->charged_tokens()) +
           " tokens) is not the one it billed (" + tokens + ")";
  TokenUsage u{usage.prompt_tokens(), usage.cached_tokens(), usage.completion_tokens(), usage.reasoning_tokens()};
  u.cached = std::min(u.cached, u.prompt);
  u.reasoning = std::min(u.reasoning, u.completion);
  uint64_t worth = adjusted_tokens(u, worker->coefficient(), prices);
  if (billed.charged_tokens() > worth)
    return "it charged " + tokens + " tokens for an answer whose worker signed usage worth " + std::to_string(worth) +
           " at the network's prices";
  uint64_t cost = client_cost_nano(billed.charged_tokens(), prices);
  if (billed.cost_nano() != cost)
    return "it billed " + std::to_string(billed.cost_nano()) + " nanoTON for " + tokens + " tokens, which cost " +
           std::to_string(cost) + " at the network's price";
  return "";
}

}  // namespace chrysalis::billing
