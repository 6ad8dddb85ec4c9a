#include "ton/toncenter/toncenter_client_stack.h"

#include "common/hex.h"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

namespace chrysalis::ton {

namespace {

std::string strip_leading_zeros(std::string bytes) {
  auto first = bytes.find_first_not_of('\0');
  return first == std::string::npos ? std::string() : bytes.substr(first);
}

// magnitude = magnitude * factor + add (factor, add < 256).
void mul_add(std::string& magnitude, unsigned factor, unsigned add) {
  unsigned carry = add;
  for (auto it = magnitude.rbegin(); it != magnitude.rend(); ++it) {
    unsigned v = static_cast<unsigned char>(*it) * factor + carry;
    *it = static_cast<char>(v & 0xff);
    carry = v >> 8;
  }
  while (carry) {
    magnitude.insert(magnitude.begin(), static_cast<char>(carry & 0xff));
    carry >>= 8;
  }
}

// magnitude /= divisor, returns the remainder.
unsigned div_small(std::string& magnitude, unsigned divisor) {
  unsigned rem = 0;
  for (auto& c : magnitude) {
    unsigned v = (rem << 8) | static_cast<unsigned char>(c);
    c = static_cast<char>(v / divisor);
    rem = v % divisor;
  }
  magnitude = strip_leading_zeros(magnitude);
  return rem;
}

}  // namespace

TvmInt TvmInt::from_u64(uint64_t value) {
  TvmInt out;
  for (int i = 7; i >= 0; --i) out.magnitude_.push_back(static_cast<char>((value >> (i * 8)) & 0xff));
  out.magnitude_ = strip_leading_zeros(out.magnitude_);
  return out;
}

TvmInt TvmInt::from_i64(int64_t value) {
  if (value >= 0) return from_u64(static_cast<uint64_t>(value));
  TvmInt out = from_u64(~static_cast<uint64_t>(value) + 1);
  out.negative_ = true;
  return out;
}

TvmInt TvmInt::from_bytes(std::string_view big_endian) {
  TvmInt out;
  out.magnitude_ = strip_leading_zeros(std::string(big_endian));
  return out;
}

TvmInt TvmInt::parse(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  if (hex) s.remove_prefix(2);
  if (s.empty()) throw std::invalid_argument("not a TVM integer: '" + std::string(text) + "'");
  TvmInt out;
  for (char c : s) {
    int d = hex ? hex_digit_value(c) : (c >= '0' && c <= '9' ? c - '0' : -1);
    if (d < 0) throw std::invalid_argument("not a TVM integer: '" + std::string(text) + "'");
    mul_add(out.magnitude_, hex ? 16 : 10, static_cast<unsigned>(d));
    out.magnitude_ = strip_leading_zeros(out.magnitude_);
    if (out.magnitude_.size() > 33)
      throw std::invalid_argument("TVM integer wider than 257 bits: '" + std::string(text) + "'");
  }
  out.negative_ = negative && !out.magnitude_.empty();
  return out;
}

uint64_t TvmInt::to_u64() const {
  if (negative_ || magnitude_.size() > 8)
    throw std::out_of_range("TVM integer " + to_decimal() + " does not fit uint64");
  uint64_t v = 0;
  for (char c : magnitude_) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

int64_t TvmInt::to_i64() const {
  if (magnitude_.size() > 8) throw std::out_of_range("TVM integer " + to_decimal() + " does not fit int64");
  uint64_t v = 0;
  for (char c : magnitude_) v = (v << 8) | static_cast<unsigned char>(c);
  if (!negative_) {
    if (v > static_cast<uint64_t>(INT64_MAX))
      throw std::out_of_range("TVM integer " + to_decimal() + " does not fit int64");
    return static_cast<int64_t>(v);
  }
  if (v > static_cast<uint64_t>(INT64_MAX) + 1)
    throw std::out_of_range("TVM integer " + to_decimal() + " does not fit int64");
  return static_cast<int64_t>(~v + 1);
}

std::string TvmInt::to_bytes(std::size_t bytes) const {
  if (negative_ || magnitude_.size() > bytes) {
    throw std::out_of_range("TVM integer " + to_decimal() + " does not fit " + std::to_string(bytes) +
                            " unsigned bytes");
  }
  return std::string(bytes - magnitude_.size(), '\0') + magnitude_;
}

std::string TvmInt::to_decimal() const {
  if (magnitude_.empty()) return "0";
  std::string m = magnitude_, digits;
  while (!m.empty()) digits.push_back(static_cast<char>('0' + div_small(m, 10)));
  if (negative_) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::string TvmInt::to_hex() const {
  std::string digits =
      chrysalis::to_hex(std::span(reinterpret_cast<const uint8_t*>(magnitude_.data()), magnitude_.size()));
  auto first = digits.find_first_not_of('0');
  digits = first == std::string::npos ? "0" : digits.substr(first);
  return (negative_ ? "-0x" : "0x") + digits;
}

TvmStackEntry TvmStackEntry::number(TvmInt value) {
  TvmStackEntry e;
  e.kind = Kind::num;
  e.num = std::move(value);
  return e;
}
TvmStackEntry TvmStackEntry::cell(std::string boc_bytes) {
  TvmStackEntry e;
  e.kind = Kind::cell;
  e.boc = std::move(boc_bytes);
  return e;
}
TvmStackEntry TvmStackEntry::slice(std::string boc_bytes) {
  TvmStackEntry e;
  e.kind = Kind::slice;
  e.boc = std::move(boc_bytes);
  return e;
}
TvmStackEntry TvmStackEntry::null_value() { return TvmStackEntry{}; }

const char* to_string(TvmStackEntry::Kind kind) {
  switch (kind) {
    case TvmStackEntry::Kind::num:
      return "num";
    case TvmStackEntry::Kind::cell:
      return "cell";
    case TvmStackEntry::Kind::slice:
      return "slice";
    case TvmStackEntry::Kind::builder:
      return "builder";
    case TvmStackEntry::Kind::null:
      return "null";
    case TvmStackEntry::Kind::tuple:
      return "tuple";
  }
  return "unknown";
}

nlohmann::json encode_stack(const TvmStack& stack) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : stack) {
    switch (e.kind) {
      case TvmStackEntry::Kind::num:
        out.push_back(nlohmann::json::array({"num", e.num.to_hex()}));
        break;
      case TvmStackEntry::Kind::cell:
        out.push_back(nlohmann::json::array({"tvm.Cell", base64_encode(e.boc)}));
        break;
      case TvmStackEntry::Kind::slice:
        out.push_back(nlohmann::json::array({"tvm.Slice", base64_encode(e.boc)}));
        break;
      case TvmStackEntry::Kind::builder:
        out.push_back(nlohmann::json::array({"tvm.Builder", base64_encode(e.boc)}));
        break;
      default:
        throw std::invalid_argument(std::string("runGetMethod arguments cannot carry a ") + to_string(e.kind) +
                                    " entry");
    }
  }
  return out;
}

namespace {

std::string bytes_field(const nlohmann::json& value, const char* key, const std::string& where) {
  if (value.is_string()) return base64_decode(value.get<std::string>());
  if (value.is_object() && value.contains(key) && value[key].is_string())
    return base64_decode(value[key].get<std::string>());
  throw std::invalid_argument(where + ": expected base64 bytes");
}

TvmInt number_field(const nlohmann::json& value, const std::string& where) {
  if (value.is_string()) return TvmInt::parse(value.get<std::string>());
  if (value.is_number_integer()) return TvmInt::from_i64(value.get<int64_t>());
  throw std::invalid_argument(where + ": expected a number");
}

TvmStackEntry decode_typed(const nlohmann::json& obj, const std::string& where);

TvmStackEntry decode_pair(const nlohmann::json& item, const std::string& where) {
  if (!item.is_array() || item.size() != 2 || !item[0].is_string()) {
    throw std::invalid_argument(where + ": expected [type, value], got " + item.dump());
  }
  const std::string type = item[0].get<std::string>();
  const auto& value = item[1];
  TvmStackEntry e;
  if (type == "num" || type == "number" || type == "int") {
    if (value.is_string() && value.get<std::string>() == "NaN") throw std::invalid_argument(where + ": NaN");
    return TvmStackEntry::number(number_field(value, where));
  }
  if (type == "cell" || type == "tvm.Cell")
    e.kind = TvmStackEntry::Kind::cell;
  else if (type == "slice" || type == "tvm.Slice")
    e.kind = TvmStackEntry::Kind::slice;
  else if (type == "builder" || type == "tvm.Builder")
    e.kind = TvmStackEntry::Kind::builder;
  else if (type == "list" || type == "tuple" || type == "tvm.List" || type == "tvm.Tuple") {
    const auto& elements = value.is_object() && value.contains("elements") ? value["elements"] : value;
    if (!elements.is_array()) throw std::invalid_argument(where + ": " + type + " without elements");
    if (type.find("list") != std::string::npos && elements.empty()) return TvmStackEntry::null_value();
    e.kind = TvmStackEntry::Kind::tuple;
    for (std::size_t i = 0; i < elements.size(); ++i) {
      auto sub = where + "[" + std::to_string(i) + "]";
      e.items.push_back(elements[i].is_array() ? decode_pair(elements[i], sub) : decode_typed(elements[i], sub));
    }
    return e;
  } else {
    throw std::invalid_argument(where + ": unsupported stack entry type '" + type + "'");
  }
  e.boc = bytes_field(value, "bytes", where);
  return e;
}

// {"@type":"tvm.stackEntryNumber","number":{"number":"123"}} and friends (inside tuples).
TvmStackEntry decode_typed(const nlohmann::json& obj, const std::string& where) {
  if (!obj.is_object() || !obj.contains("@type"))
    throw std::invalid_argument(where + ": expected a tvm.stackEntry object");
  const std::string type = obj["@type"].get<std::string>();
  if (type == "tvm.stackEntryNumber") return TvmStackEntry::number(number_field(obj.at("number").at("number"), where));
  if (type == "tvm.stackEntryCell") return TvmStackEntry::cell(bytes_field(obj.at("cell"), "bytes", where));
  if (type == "tvm.stackEntrySlice") return TvmStackEntry::slice(bytes_field(obj.at("slice"), "bytes", where));
  if (type == "tvm.stackEntryTuple" || type == "tvm.stackEntryList") {
    const auto& inner = type == "tvm.stackEntryTuple" ? obj.at("tuple") : obj.at("list");
    const auto& elements = inner.at("elements");
    if (type == "tvm.stackEntryList" && elements.empty()) return TvmStackEntry::null_value();
    TvmStackEntry e;
    e.kind = TvmStackEntry::Kind::tuple;
    for (std::size_t i = 0; i < elements.size(); ++i)
      e.items.push_back(decode_typed(elements[i], where + "[" + std::to_string(i) + "]"));
    return e;
  }
  throw std::invalid_argument(where + ": unsupported stack entry type '" + type + "'");
}

}  // namespace

TvmStack decode_stack(const nlohmann::json& stack) {
  if (!stack.is_array()) throw std::invalid_argument("runGetMethod stack: expected a list");
  TvmStack out;
  for (std::size_t i = 0; i < stack.size(); ++i) {
    try {
      out.push_back(decode_pair(stack[i], "stack[" + std::to_string(i) + "]"));
    } catch (const nlohmann::json::exception& e) {
      throw std::invalid_argument("stack[" + std::to_string(i) + "]: " + e.what());
    }
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string base64_decode(std::string_view text) {
  std::string s;
  s.reserve(text.size() + 3);
  for (char c : text) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    if (c == '\n' || c == '\r' || c == ' ') continue;
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
    if (!ok) throw std::invalid_argument("invalid base64 character '" + std::string(1, c) + "'");
    s.push_back(c);
  }
  std::size_t pad = 0;
  while (!s.empty() && s.back() == '=') {
    s.pop_back();
    ++pad;
  }
  if (pad > 2 || s.size() % 4 == 1) throw std::invalid_argument("invalid base64 length");
  std::size_t missing = (4 - s.size() % 4) % 4;
  s.append(missing, '=');
  std::string out(3 * s.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) throw std::invalid_argument("invalid base64");
  out.resize(static_cast<std::size_t>(n) - missing);
  return out;
}

}  // namespace chrysalis::ton
