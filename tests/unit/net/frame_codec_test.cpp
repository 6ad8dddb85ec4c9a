#include <gtest/gtest.h>

#include "net/frame_codec.h"

using chrysalis::net::encode_frame;
using chrysalis::net::FrameDecoder;
using chrysalis::proto::Frame;

namespace {
Frame part_frame(uint64_t stream, const std::string& text) {
  Frame f;
  f.set_stream(stream);
  f.mutable_part()->add_events(text);
  return f;
}
}  // namespace

TEST(FrameCodec, RoundTripsFramesFedOneByteAtATime) {
  std::string wire = encode_frame(part_frame(3, "hello")) + encode_frame(part_frame(5, "wörld"));
  FrameDecoder decoder;
  std::vector<Frame> frames;
  std::string error;
  for (char c : wire) {
    decoder.feed(&c, 1);
    Frame f;
    while (decoder.next(f, error)) frames.push_back(f);
  }
  EXPECT_TRUE(error.empty());
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].stream(), 3u);
  EXPECT_EQ(frames[0].part().events(0), "hello");
  EXPECT_EQ(frames[1].part().events(0), "wörld");
}

TEST(FrameCodec, LengthPrefixIsBigEndianPayloadSize) {
  std::string wire = encode_frame(part_frame(1, std::string(300, 'x')));
  uint32_t len = (uint8_t(wire[0]) << 24) | (uint8_t(wire[1]) << 16) | (uint8_t(wire[2]) << 8) | uint8_t(wire[3]);
  EXPECT_EQ(len, wire.size() - 4);
}

TEST(FrameCodec, RefusesFramesOverTheLimit) {
  FrameDecoder decoder(100);
  std::string wire = encode_frame(part_frame(1, std::string(200, 'x')));
  decoder.feed(wire.data(), wire.size());
  Frame f;
  std::string error;
  EXPECT_FALSE(decoder.next(f, error));
  EXPECT_NE(error.find("exceeds the limit"), std::string::npos) << error;
  EXPECT_TRUE(decoder.failed());
}

TEST(FrameCodec, RefusesGarbage) {
  FrameDecoder decoder;
  std::string wire = std::string("\x00\x00\x00\x04", 4) + "\xff\xff\xff\xff";
  decoder.feed(wire.data(), wire.size());
  Frame f;
  std::string error;
  EXPECT_FALSE(decoder.next(f, error));
  EXPECT_NE(error.find("unparsable"), std::string::npos) << error;
}

TEST(FrameCodec, WaitsForIncompleteFrames) {
  FrameDecoder decoder;
  std::string wire = encode_frame(part_frame(7, "abc"));
  decoder.feed(wire.data(), wire.size() - 1);
  Frame f;
  std::string error;
  EXPECT_FALSE(decoder.next(f, error));
  EXPECT_TRUE(error.empty());
  decoder.feed(wire.data() + wire.size() - 1, 1);
  EXPECT_TRUE(decoder.next(f, error));
  EXPECT_EQ(f.stream(), 7u);
}

TEST(FrameCodec, HoldsNoBufferOnceEveryFrameIsTakenOut) {
  // 200 reads of 1 KiB frames, as a long-lived worker connection sees them: before, the buffer
  // kept growing to the 64 KiB compaction point and stayed there for the connection's life.
  FrameDecoder decoder;
  std::string error;
  std::size_t decoded = 0, most_held = 0;
  for (int read = 0; read < 200; ++read) {
    std::string wire = encode_frame(part_frame(1, std::string(1000, 'x'))) + encode_frame(part_frame(3, "tail"));
    // The second frame arrives split across two reads.
    decoder.feed(wire.data(), wire.size() - 3);
    Frame f;
    while (decoder.next(f, error)) ++decoded;
    EXPECT_EQ(decoder.buffered(), encode_frame(part_frame(3, "tail")).size() - 3);
    decoder.feed(wire.data() + wire.size() - 3, 3);
    while (decoder.next(f, error)) ++decoded;
    most_held = std::max(most_held, decoder.held_bytes());
    EXPECT_EQ(decoder.buffered(), 0u);
  }
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_EQ(decoded, 400u);
  EXPECT_LT(decoder.held_bytes(), 64u);  // the empty string's own storage, nothing allocated
  EXPECT_LT(most_held, 4096u);
}
