#pragma once
// What the frame that ends an answer carries, whether it is a ResponseEnd or a ResponseError: the
// usage the worker reported, the charge (when billed) and the signed receipt (when present).
#include <optional>

#include "chrysalis.pb.h"

namespace chrysalis::proto {

struct AnswerOutcome {
  const Usage* usage = nullptr;
  const Billing* billing = nullptr;  // null when the frame carries no charge
  const Receipt* receipt = nullptr;  // null when the frame carries no receipt
};

// nullopt when `frame` ends no answer (a head, a part, anything else).
inline std::optional<AnswerOutcome> answer_outcome(const Frame& frame) {
  if (frame.has_end()) {
    const auto& e = frame.end();
    return AnswerOutcome{&e.usage(), e.has_billing() ? &e.billing() : nullptr, e.has_receipt() ? &e.receipt() : nullptr};
  }
  if (frame.has_error()) {
    const auto& e = frame.error();
    return AnswerOutcome{&e.usage(), e.has_billing() ? &e.billing() : nullptr, e.has_receipt() ? &e.receipt() : nullptr};
  }
  return std::nullopt;
}

}  // namespace chrysalis::proto
