#pragma once
// TON account addresses (MsgAddressInt addr_std: workchain + 256-bit account id).
// Text forms:
//   raw            "0:83dfd552e63729b472fcbcc8c45ebcc6691702558b68ec7527e1ba403a0f31a8" (also "-1:...")
//   user-friendly  48 chars of base64 or base64url over 36 bytes:
//                  tag (0x11 bounceable | 0x51 non-bounceable, +0x80 testnet), workchain int8,
//                  hash[32], CRC16-XMODEM of the first 34 bytes (big-endian).
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace chrysalis::ton {

using Hash256 = std::array<uint8_t, 32>;

// Bad address text or value; the message says what is wrong.
class AddressError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct Address {
  int32_t workchain = 0;  // -128..127 (0 basechain, -1 masterchain)
  Hash256 hash{};

  // Raw or user-friendly text (flags ignored; see parse_address_text for them). Throws AddressError.
  static Address parse(std::string_view text);

  std::string to_raw() const;  // "wc:64 lower-case hex"
  // User-friendly form. Defaults match @ton/core Address.toString(): bounceable, mainnet, URL-safe.
  std::string to_friendly(bool bounceable = true, bool testnet = false, bool url_safe = true) const;

  bool operator==(const Address&) const = default;
};

// What the text of an address said besides the address itself.
struct ParsedAddress {
  Address address;
  bool friendly = false;   // false: raw form
  bool bounceable = true;  // friendly forms only (raw: true)
  bool testnet = false;    // friendly forms only
  bool url_safe = false;   // friendly forms only: used '-'/'_' (ambiguous texts count as URL-safe)
};

// Parses raw or friendly text; throws AddressError naming the problem (length, alphabet, tag, CRC, workchain).
ParsedAddress parse_address_text(std::string_view text);

}  // namespace chrysalis::ton
