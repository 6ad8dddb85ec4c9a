#include "ton/wallet/ton_amount.h"

#include <cstdint>
#include <stdexcept>

namespace chrysalis::ton {

uint64_t parse_ton_amount(const std::string& text, const std::string& what, bool allow_zero) {
  auto bad = [&](const std::string& why) { return std::invalid_argument(what + ": \"" + text + "\" " + why); };
  if (text.empty()) throw bad("is empty");
  if (text[0] == '-') throw bad("is negative");
  size_t dot = text.find('.');
  std::string whole = text.substr(0, dot), frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (whole.empty() && frac.empty()) throw bad("is not a number");
  for (char c : whole + frac)
    if (c < '0' || c > '9') throw bad("is not a decimal amount of TON (e.g. 1.5)");
  if (frac.size() > 9) throw bad("has more than 9 decimals (1 nanoTON = 0.000000001 TON)");
  frac.resize(9, '0');
  unsigned __int128 nano = 0;
  for (char c : whole + frac) {
    nano = nano * 10 + static_cast<unsigned>(c - '0');
    if (nano > UINT64_MAX) throw bad("is too large");
  }
  if (nano == 0 && !allow_zero) throw bad("is zero");
  return static_cast<uint64_t>(nano);
}

std::string format_ton(uint64_t nano) {
  std::string whole = std::to_string(nano / 1'000'000'000), frac = std::to_string(nano % 1'000'000'000);
  frac.insert(0, 9 - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return frac.empty() ? whole : whole + "." + frac;
}

}  // namespace chrysalis::ton
