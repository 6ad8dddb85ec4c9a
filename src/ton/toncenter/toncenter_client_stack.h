#pragma once
// TVM values as toncenter's HTTP API v2 carries them (runGetMethod arguments and results).
// Kept free of the cell library: cells and slices travel as serialized BoC bytes, so this codec
// can be tested and used on its own; callers parse the bytes with ton/cells/boc.h.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chrysalis::ton {

// A TVM integer (up to 257 bits signed): sign and big-endian magnitude without leading zeros.
class TvmInt {
 public:
  TvmInt() = default;
  static TvmInt from_u64(uint64_t value);
  static TvmInt from_i64(int64_t value);
  // Big-endian unsigned bytes (e.g. a 32-byte hash or public key).
  static TvmInt from_bytes(std::string_view big_endian);
  // "123", "-123", "0x7b", "-0x7B"; throws std::invalid_argument naming the text otherwise.
  static TvmInt parse(std::string_view text);

  bool negative() const { return negative_; }
  bool is_zero() const { return magnitude_.empty(); }
  const std::string& magnitude() const { return magnitude_; }
  // Throws std::out_of_range when the value does not fit.
  uint64_t to_u64() const;
  int64_t to_i64() const;
  // Unsigned, left-padded to `bytes` (throws when negative or wider).
  std::string to_bytes(std::size_t bytes) const;
  std::string to_decimal() const;
  std::string to_hex() const;  // "0x7b", "-0x7b", "0x0"
  bool operator==(const TvmInt&) const = default;

 private:
  bool negative_ = false;
  std::string magnitude_;  // big-endian bytes, no leading zero byte
};

struct TvmStackEntry {
  enum class Kind { num, cell, slice, builder, null, tuple };
  Kind kind = Kind::null;
  TvmInt num;                        // kind num
  std::string boc;                   // kind cell/slice/builder: BoC bytes of the cell
  std::vector<TvmStackEntry> items;  // kind tuple

  static TvmStackEntry number(TvmInt value);
  static TvmStackEntry cell(std::string boc_bytes);
  static TvmStackEntry slice(std::string boc_bytes);
  static TvmStackEntry null_value();
};
const char* to_string(TvmStackEntry::Kind kind);

using TvmStack = std::vector<TvmStackEntry>;

// Argument list for runGetMethod: [["num","0x…"], ["tvm.Cell","<b64>"], ["tvm.Slice","<b64>"]].
nlohmann::json encode_stack(const TvmStack& stack);
// Result stack of runGetMethod: ["num","0x…"], ["cell"|"slice"|"builder",{"bytes":b64}],
// ["list"|"tuple",{"elements":[…]}] (an empty list is TVM null) and the typed
// tvm.stackEntry* objects used inside tuples. Throws std::invalid_argument naming the bad entry.
TvmStack decode_stack(const nlohmann::json& stack);

std::string base64_encode(std::string_view bytes);
// Accepts the standard and URL-safe alphabets, with or without padding; throws on bad input.
std::string base64_decode(std::string_view text);

}  // namespace chrysalis::ton
