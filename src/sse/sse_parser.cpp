#include "sse/sse_parser.h"

namespace chrysalis::sse {
namespace {

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

void SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  std::size_t i = 0;
  if (skip_lf_ && !bytes.empty()) {
    // The CR that ended the previous line arrived in an earlier piece; its LF is not a new line.
    if (bytes.front() == '\n') i = 1;
    skip_lf_ = false;
  }
  while (i < bytes.size()) {
    auto end = bytes.find_first_of("\r\n", i);
    if (end == std::string_view::npos) {
      auto tail = bytes.substr(i);
      if (line_.size() + tail.size() > kMaxLineBytes) {
        line_too_long_ = true;
        line_.clear();
      } else if (!line_too_long_) {
        line_.append(tail);
      }
      return;
    }
    std::string_view piece = bytes.substr(i, end - i);
    if (line_too_long_ || line_.size() + piece.size() > kMaxLineBytes) {
      ++dropped_lines_;
      line_too_long_ = false;
      line_.clear();
    } else if (line_.empty()) {
      process_line(piece, out);  // common case: the whole line is in this piece, no copy
    } else {
      line_.append(piece);
      process_line(line_, out);
      line_.clear();
    }
    i = end + 1;
    if (bytes[end] == '\r') {
      if (i < bytes.size()) {
        if (bytes[i] == '\n') ++i;
      } else {
        skip_lf_ = true;
      }
    }
  }
}

void SseParser::finish(std::vector<SseEvent>& out) {
  if (!line_.empty() && !line_too_long_) process_line(line_, out);
  line_.clear();
  line_too_long_ = false;
  skip_lf_ = false;
  dispatch(out);
}

void SseParser::process_line(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {
    dispatch(out);
    return;
  }
  if (line.front() == ':') return;  // comment, often a keep-alive
  if (line.front() == '{') {
    // Newline-delimited JSON engine: each line is a complete message.
    dispatch(out);
    out.push_back(SseEvent{std::string(line), false});
    return;
  }
  auto colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field != "data") return;  // event, id, retry and unknown fields do not matter to us
  if (event_too_large_) return;
  if (data_.size() + value.size() + 1 > kMaxEventBytes) {
    event_too_large_ = true;
    data_.clear();
    has_data_ = false;
    return;
  }
  if (has_data_) data_ += '\n';
  data_.append(value);
  has_data_ = true;
}

void SseParser::dispatch(std::vector<SseEvent>& out) {
  if (event_too_large_) {
    event_too_large_ = false;
    ++dropped_events_;
    return;
  }
  if (!has_data_) return;
  SseEvent event;
  event.done = trim_spaces(data_) == "[DONE]";
  event.data = std::move(data_);
  out.push_back(std::move(event));
  data_.clear();
  has_data_ = false;
}

}  // namespace chrysalis::sse
