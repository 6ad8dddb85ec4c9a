#pragma once
// Amounts of TON as people write them (decimal TON) and as the chain counts them (nanoTON).
#include <cstdint>
#include <string>

namespace chrysalis::ton {

// "1.5" TON → 1 500 000 000 nanoTON. Refuses (std::invalid_argument naming `what`) negative, zero
// (unless allow_zero), more than 9 decimals, non-numbers and amounts past 2^64.
uint64_t parse_ton_amount(const std::string& text, const std::string& what, bool allow_zero = false);
std::string format_ton(uint64_t nano);  // 1500000000 → "1.5"

}  // namespace chrysalis::ton
