#include "ton/cells/address.h"

#include <algorithm>
#include <charconv>

#include "ton/cells/encoding.h"

namespace chrysalis::ton {

namespace {

constexpr uint8_t kTagBounceable = 0x11;
constexpr uint8_t kTagNonBounceable = 0x51;
constexpr uint8_t kTagTestnet = 0x80;

ParsedAddress parse_raw(std::string_view text, size_t colon) {
  std::string_view wc_text = text.substr(0, colon), hash_text = text.substr(colon + 1);
  int32_t wc = 0;
  auto [end, ec] = std::from_chars(wc_text.data(), wc_text.data() + wc_text.size(), wc);
  if (wc_text.empty() || ec != std::errc() || end != wc_text.data() + wc_text.size())
    throw AddressError("raw address: workchain '" + std::string(wc_text) + "' is not an integer");
  if (wc < -128 || wc > 127)
    throw AddressError("raw address: workchain " + std::to_string(wc) + " is outside -128..127");
  if (hash_text.size() != 64)
    throw AddressError("raw address: account id must be 64 hex digits, got " + std::to_string(hash_text.size()));
  Bytes hash;
  try {
    hash = from_hex(hash_text);
  } catch (const std::invalid_argument& e) {
    throw AddressError(std::string("raw address: ") + e.what());
  }
  ParsedAddress out;
  out.address.workchain = wc;
  std::copy(hash.begin(), hash.end(), out.address.hash.begin());
  return out;
}

ParsedAddress parse_friendly(std::string_view text) {
  if (text.size() != 48)
    throw AddressError("address: expected raw 'wc:hex' or 48 characters of base64, got " + std::to_string(text.size()) +
                       " characters");
  Bytes bytes;
  try {
    bytes = from_base64(text);
  } catch (const std::invalid_argument& e) {
    throw AddressError(std::string("friendly address: ") + e.what());
  }
  if (bytes.size() != 36)
    throw AddressError("friendly address: decodes to " + std::to_string(bytes.size()) + " bytes, not 36");
  uint16_t crc = crc16_xmodem(std::span(bytes).first(34));
  uint16_t stored = static_cast<uint16_t>(bytes[34] << 8 | bytes[35]);
  if (crc != stored) throw AddressError("friendly address: CRC16 mismatch (address mistyped or corrupted)");
  ParsedAddress out;
  out.friendly = true;
  uint8_t tag = bytes[0];
  out.testnet = (tag & kTagTestnet) != 0;
  tag &= static_cast<uint8_t>(~kTagTestnet);
  if (tag == kTagBounceable)
    out.bounceable = true;
  else if (tag == kTagNonBounceable)
    out.bounceable = false;
  else
    throw AddressError("friendly address: unknown tag byte 0x" + to_hex(std::span(bytes).first(1)));
  out.url_safe = text.find_first_of("+/") == std::string_view::npos;
  out.address.workchain = static_cast<int8_t>(bytes[1]);
  std::copy(bytes.begin() + 2, bytes.begin() + 34, out.address.hash.begin());
  return out;
}

}  // namespace

ParsedAddress parse_address_text(std::string_view text) {
  if (text.empty()) throw AddressError("address is empty");
  if (auto colon = text.find(':'); colon != std::string_view::npos) return parse_raw(text, colon);
  return parse_friendly(text);
}

Address Address::parse(std::string_view text) { return parse_address_text(text).address; }

std::string Address::to_raw() const { return std::to_string(workchain) + ":" + to_hex(hash); }

std::string Address::to_friendly(bool bounceable, bool testnet, bool url_safe) const {
  if (workchain < -128 || workchain > 127)
    throw AddressError("workchain " + std::to_string(workchain) + " does not fit a friendly address");
  std::array<uint8_t, 36> bytes{};
  bytes[0] = static_cast<uint8_t>((bounceable ? kTagBounceable : kTagNonBounceable) | (testnet ? kTagTestnet : 0));
  bytes[1] = static_cast<uint8_t>(static_cast<int8_t>(workchain));
  std::copy(hash.begin(), hash.end(), bytes.begin() + 2);
  uint16_t crc = crc16_xmodem(std::span(bytes).first(34));
  bytes[34] = static_cast<uint8_t>(crc >> 8);
  bytes[35] = static_cast<uint8_t>(crc);
  return to_base64(bytes, url_safe);
}

}  // namespace chrysalis::ton
