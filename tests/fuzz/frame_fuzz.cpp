// libFuzzer target: the bytes a peer sends on a node-to-node connection once TLS is up: u32
// big-endian lengths and protobuf Frames (net/frame_codec.h, proto/chrysalis.proto). The stream goes
// to a FrameDecoder whole, one byte at a time and in input-derived pieces, as TCP may deliver it;
// the three must agree on the frames and on the error. Every decoded frame must survive
// encode_frame and a fresh decoder unchanged. The contract addresses a proxy names in a BillingInfo
// go through ton::Address::parse as the client and worker read them; what parses must read back
// the same from its raw and friendly forms.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "fuzz_support.h"
#include "net/frame_codec.h"
#include "ton/cells/address.h"

using namespace chrysalis;

namespace {

struct Decoded {
  std::vector<std::string> frames;  // serialized again: comparable
  std::string error;
  bool failed = false;
  bool operator==(const Decoded&) const = default;
};

// The wire in pieces of at most max_piece bytes (0: whole). Drains the decoder after every piece, as
// Connection::read_one_frame does after every read.
Decoded decode(std::string_view wire, std::size_t max_piece) {
  net::FrameDecoder decoder;
  Decoded out;
  proto::Frame frame;
  auto take = [&](std::string_view piece) {
    if (!out.error.empty()) return;  // the connection is closed on the first error
    decoder.feed(piece.data(), piece.size());
    while (decoder.next(frame, out.error)) out.frames.push_back(frame.SerializeAsString());
  };
  if (max_piece == 0)
    take(wire);
  else
    fuzz::for_each_piece(wire, max_piece, take);
  out.failed = decoder.failed();
  if (out.failed == out.error.empty()) __builtin_trap();  // a failed decoder said why, once
  return out;
}

void check_round_trip(const std::string& serialized) {
  proto::Frame frame;
  if (!frame.ParseFromString(serialized)) __builtin_trap();
  std::string wire = net::encode_frame(frame);
  net::FrameDecoder decoder;
  decoder.feed(wire.data(), wire.size());
  proto::Frame again;
  std::string error;
  if (!decoder.next(again, error) || decoder.buffered() != 0) __builtin_trap();
  if (again.SerializeAsString() != serialized) __builtin_trap();
}

void check_address(const std::string& text) {
  ton::Address address;
  try {
    address = ton::Address::parse(text);
  } catch (const ton::AddressError&) {
    return;
  }
  if (!(ton::Address::parse(address.to_raw()) == address)) __builtin_trap();
  if (!(ton::Address::parse(address.to_friendly(false, true, false)) == address)) __builtin_trap();
}

}  // namespace

// Refused strings are the normal case here; protobuf would log each one.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view wire = fuzz::as_text(data, size);
  Decoded whole = decode(wire, 0);
  if (decode(wire, 1) != whole) __builtin_trap();
  if (decode(wire, 64) != whole) __builtin_trap();
  for (const auto& serialized : whole.frames) {
    check_round_trip(serialized);
    proto::Frame frame;
    frame.ParseFromString(serialized);
    if (frame.has_billing_info()) {
      check_address(frame.billing_info().root());
      check_address(frame.billing_info().proxy_contract());
      check_address(frame.billing_info().party_contract());
    }
  }
  return 0;
}
