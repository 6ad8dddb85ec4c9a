#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace chrysalis::sse {

struct SseEvent {
  std::string data;   // the event's data lines joined with '\n'
  bool done = false;  // data == "[DONE]" (OpenAI's end-of-stream marker)
};

// Incremental Server-Sent-Events parser for engine responses. Bytes may be split anywhere
// (mid-line, mid-CRLF, mid-UTF-8 sequence): only complete lines are interpreted.
// Lines end with LF, CRLF or a lone CR. `data:` lines accumulate (joined with '\n') until a
// blank line dispatches the event; `:` comments and event/id/retry fields are ignored.
// Leniency for engines that stream newline-delimited JSON instead of SSE: a line that starts
// with '{' is delivered as an event of its own.
class SseParser {
 public:
  // Lines longer than this are dropped (and counted) so a broken engine cannot exhaust memory.
  static constexpr std::size_t kMaxLineBytes = 16 * 1024 * 1024;
  // The same for an event's data lines together: data lines that never meet the blank line ending
  // their event would otherwise pile up. Such an event is dropped (and counted) when it ends.
  static constexpr std::size_t kMaxEventBytes = kMaxLineBytes;

  void feed(std::string_view bytes, std::vector<SseEvent>& out);
  // End of stream: interprets an unterminated last line and dispatches a pending event.
  void finish(std::vector<SseEvent>& out);

  std::size_t dropped_lines() const { return dropped_lines_; }
  std::size_t dropped_events() const { return dropped_events_; }

 private:
  void process_line(std::string_view line, std::vector<SseEvent>& out);
  void dispatch(std::vector<SseEvent>& out);

  std::string line_;       // bytes of the current, not yet terminated line
  std::string data_;       // data of the event being assembled
  bool has_data_ = false;  // a data field was seen since the last dispatch
  bool skip_lf_ = false;   // last line ended with CR: a following LF belongs to it
  bool line_too_long_ = false;
  bool event_too_large_ = false;  // data lines went past kMaxEventBytes: dropped when the event ends
  std::size_t dropped_lines_ = 0;
  std::size_t dropped_events_ = 0;
};

}  // namespace chrysalis::sse
