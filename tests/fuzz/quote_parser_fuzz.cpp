// libFuzzer target: the strict TDX quote parser, then the full verifier on whatever parses.
// Any crash, sanitizer report or uncaught exception other than QuoteParseError is a bug.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "attest/quote/quote_json.h"
#include "attest/quote/quote_verifier.h"
#include "attest/quote/tdx_quote.h"

using namespace chrysalis::attest;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const TrustAnchors anchors = TrustAnchors::intel();
  static const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1780000000));  // 2026-05
  std::span<const uint8_t> bytes(data, size);
  try {
    TdxQuote q = parse_tdx_quote(bytes);
    if (q.layout.end + q.trailing_bytes != size) __builtin_trap();  // lengths must add up
    (void)quote_to_json(q).dump();
  } catch (const QuoteParseError&) {
    return 0;
  }
  QuoteVerification r = verify_quote(bytes, anchors, nullptr, now);
  if (r.verified == !r.reason.empty()) __builtin_trap();  // a result is either verified or has a reason
  return 0;
}
