#pragma once
#include <cstddef>
#include <string>

#include "chrysalis.pb.h"

namespace chrysalis::net {

constexpr std::size_t kDefaultMaxFrameBytes = 16 * 1024 * 1024;

// Wire form of one frame: u32 big-endian payload length, then the serialized Frame.
std::string encode_frame(const proto::Frame& frame);

// Splits a byte stream into frames. Any violation (oversized or unparsable frame) is
// reported once through `error` and the decoder stays failed.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_frame_bytes = kDefaultMaxFrameBytes) : max_(max_frame_bytes) {}
  void feed(const char* data, std::size_t size) { buffer_.append(data, size); }
  // True when a whole frame was taken out into `out`; false when more bytes are needed or on error.
  bool next(proto::Frame& out, std::string& error);
  bool failed() const { return failed_; }
  std::size_t buffered() const { return buffer_.size() - offset_; }
  // Memory the decoder holds: none once every frame fed in was taken out.
  std::size_t held_bytes() const { return buffer_.capacity(); }

 private:
  std::size_t max_;
  std::string buffer_;
  std::size_t offset_ = 0;
  bool failed_ = false;
};

}  // namespace chrysalis::net
