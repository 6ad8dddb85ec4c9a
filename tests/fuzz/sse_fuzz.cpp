// libFuzzer target: an engine's event stream as the worker reads it (sse/sse_parser.h), cut into
// arbitrary pieces: whole, one byte at a time and input-derived pieces must give the same events.
// The events then go through the worker's StreamShaper and so the UsageMeter (sse/usage_meter.h),
// whose bill must stay inside its bounds: completion <= max_tokens, reasoning <= completion,
// cached <= prompt.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "sse/sse_parser.h"
#include "worker/stream_shaper.h"

using namespace chrysalis;

namespace {

struct Parsed {
  std::vector<std::string> data;
  std::vector<bool> done;
  std::size_t dropped_lines = 0, dropped_events = 0;
  bool operator==(const Parsed&) const = default;
};

// The stream in pieces of at most max_piece bytes (0: whole).
Parsed parse(std::string_view stream, std::size_t max_piece, std::vector<sse::SseEvent>& events) {
  sse::SseParser parser;
  events.clear();
  if (max_piece == 0)
    parser.feed(stream, events);
  else
    fuzz::for_each_piece(stream, max_piece, [&](std::string_view piece) { parser.feed(piece, events); });
  parser.finish(events);
  Parsed out;
  for (const auto& e : events) {
    out.data.push_back(e.data);
    out.done.push_back(e.done);
  }
  out.dropped_lines = parser.dropped_lines();
  out.dropped_events = parser.dropped_events();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view stream = fuzz::as_text(data, size);
  std::vector<sse::SseEvent> events, scratch;
  Parsed whole = parse(stream, 0, events);
  if (parse(stream, 1, scratch) != whole) __builtin_trap();
  if (parse(stream, 32, scratch) != whole) __builtin_trap();

  constexpr uint64_t kMaxTokens = 8;
  worker::StreamShaper shaper(kMaxTokens);
  std::vector<std::string> forward;
  for (const auto& event : events)
    if (!shaper.on_event(event, forward)) break;
  sse::Usage usage = shaper.usage(/*prompt_estimate=*/5);
  if (usage.completion > kMaxTokens || usage.reasoning > usage.completion || usage.cached > usage.prompt)
    __builtin_trap();
  if (shaper.content_chunks() > kMaxTokens) __builtin_trap();
  return 0;
}
