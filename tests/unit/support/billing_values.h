#pragma once
// Values the books' tests share.
#include <cstdint>
#include <string>

namespace chrysalis::test {

constexpr uint64_t kTon = 1'000'000'000;  // nanoTON

// A raw address of 64 repeated hex digits: addr('a') is "0:aaaa…a".
inline std::string addr(char c) { return "0:" + std::string(64, c); }

}  // namespace chrysalis::test
