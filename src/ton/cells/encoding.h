#pragma once
// Byte/text encodings used around TON: hex, base64 (standard and URL-safe) and the
// checksums of bag-of-cells files (CRC32C) and user-friendly addresses (CRC16-XMODEM).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/hex.h"

namespace chrysalis::ton {

using Bytes = std::vector<uint8_t>;

// Hex: common/hex.h.
using chrysalis::from_hex;
using chrysalis::to_hex;

// RFC 4648 base64 with padding; url_safe uses '-' and '_' instead of '+' and '/'.
std::string to_base64(std::span<const uint8_t> bytes, bool url_safe = false);
// Accepts both alphabets (not mixed), with or without '=' padding; ignores no other characters.
// Throws std::invalid_argument on any bad character or length.
Bytes from_base64(std::string_view text);

// CRC-32C (Castagnoli, reflected 0x82F63B78, init/xorout 0xFFFFFFFF). BoC files store it little-endian.
uint32_t crc32c(std::span<const uint8_t> bytes);
// CRC-16/XMODEM (poly 0x1021, init 0). Friendly addresses store it big-endian.
uint16_t crc16_xmodem(std::span<const uint8_t> bytes);

}  // namespace chrysalis::ton
