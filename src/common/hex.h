#pragma once
// Hex text of bytes, the one encoder and decoder of the tree (ton:: and attest:: name these too).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace chrysalis {

// Lower-case hex of the bytes.
std::string to_hex(std::span<const uint8_t> bytes);
// Lower-case hex of raw bytes held in a string (hashes, keys, signatures).
std::string hex_of(std::string_view raw);
// Hex (either case, even length, no prefix) to bytes; throws std::invalid_argument naming the problem.
std::vector<uint8_t> from_hex(std::string_view hex);
// 0..15 for a hex digit of either case, -1 for anything else.
int hex_digit_value(char c);

}  // namespace chrysalis
