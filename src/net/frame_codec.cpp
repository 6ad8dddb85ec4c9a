#include "net/frame_codec.h"

namespace chrysalis::net {

std::string encode_frame(const proto::Frame& frame) {
  std::string out(4, '\0');
  frame.AppendToString(&out);
  uint32_t len = static_cast<uint32_t>(out.size() - 4);
  out[0] = static_cast<char>(len >> 24);
  out[1] = static_cast<char>(len >> 16);
  out[2] = static_cast<char>(len >> 8);
  out[3] = static_cast<char>(len);
  return out;
}

bool FrameDecoder::next(proto::Frame& out, std::string& error) {
  if (failed_) return false;
  if (buffered() < 4) return false;
  auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + offset_);
  uint32_t len = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
  if (len > max_) {
    failed_ = true;
    error = "frame of " + std::to_string(len) + " bytes exceeds the limit of " + std::to_string(max_);
    return false;
  }
  if (buffered() < 4 + len) return false;
  if (!out.ParseFromArray(buffer_.data() + offset_ + 4, static_cast<int>(len))) {
    failed_ = true;
    error = "unparsable frame of " + std::to_string(len) + " bytes";
    return false;
  }
  offset_ += 4 + len;
  if (offset_ == buffer_.size()) {
    // All taken out: give the buffer back. A proxy holds 10,000 mostly idle connections, and a
    // buffer kept at its high-water mark (up to the compaction point below, 64 KiB and more) was
    // most of its memory after a few minutes of traffic.
    std::string().swap(buffer_);
    offset_ = 0;
  } else if (offset_ > 65536 && offset_ * 2 > buffer_.size()) {
    // Compact once the consumed prefix dominates, so the buffer does not grow without bound.
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  return true;
}

}  // namespace chrysalis::net
