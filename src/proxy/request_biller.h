#pragma once
// What a request's state machine needs from billing: admit the client, hold the worst case of an
// attempt, shrink the hold once the prompt's size is known, and release a hold for what was
// produced. Settling a finished answer is an action (SettleThenSend) the node carries out.
// A free network uses FreePeerBilling (billing_peers.h), which admits everyone and holds nothing.
#include <cstdint>
#include <string>

#include "chrysalis.pb.h"

namespace chrysalis::proxy {

// Why billing refuses a request, as the client will see it.
struct BillingRefusal {
  uint32_t http_status = 0;  // 0: not refused
  std::string type, code, message;
};

struct Reservation {
  uint64_t id = 0;  // 0: nothing held (a free network, or refused)
  BillingRefusal refusal;
};

class RequestBiller {
 public:
  virtual ~RequestBiller() = default;
  // The client's paying contract (empty on a free network), or a refusal.
  virtual BillingRefusal admit(uint64_t client_conn, std::string& client_contract) = 0;
  virtual Reservation reserve(const std::string& client_contract, const std::string& worker_contract,
                              uint32_t coefficient, const proto::InferenceRequest& request) = 0;
  // The engine told the tokenized prompt's size: the hold shrinks from the byte bound to it.
  virtual void hold_exact_prompt(uint64_t reservation, uint64_t prompt_tokens, uint64_t max_tokens) = 0;
  // Ends a hold, charging `produced` (nullptr: nothing); fills `out` with what was charged.
  virtual void release(uint64_t reservation, const proto::Usage* produced, proto::Billing* out) = 0;
};

}  // namespace chrysalis::proxy
