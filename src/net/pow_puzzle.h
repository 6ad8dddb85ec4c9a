#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace chrysalis::net {

// Connection flood guard run before the TLS handshake (the reference system's scheme):
// the server sends 24 bytes  magic 0x418e1291 | difficulty i32 | salt[16],
// the client answers 12 bytes magic 0x01827319 | nonce i64 (integers little-endian).
// The answer is valid when SHA-256(salt ‖ nonce LE) has at least `difficulty` leading zero
// bits, counted from the top bit of its first 8 bytes read as a little-endian u64.
constexpr uint32_t kPowChallengeMagic = 0x418e1291;
constexpr uint32_t kPowAnswerMagic = 0x01827319;
constexpr std::size_t kPowChallengeBytes = 24;
constexpr std::size_t kPowAnswerBytes = 12;
constexpr int kPowMaxDifficulty = 64;  // all 64 bits counted

struct PowChallenge {
  int32_t difficulty = 0;
  std::array<uint8_t, 16> salt{};
};

PowChallenge make_pow_challenge(int32_t difficulty);  // random salt
std::array<uint8_t, kPowChallengeBytes> encode_pow_challenge(const PowChallenge& c);
// Returns nullopt with `error` set on a wrong magic or an out-of-range difficulty.
std::optional<PowChallenge> decode_pow_challenge(const uint8_t* data, std::string& error);
std::array<uint8_t, kPowAnswerBytes> encode_pow_answer(uint64_t nonce);
std::optional<uint64_t> decode_pow_answer(const uint8_t* data, std::string& error);

// Leading zero bits of the puzzle hash for this nonce (0..64).
int pow_leading_zero_bits(const std::array<uint8_t, 16>& salt, uint64_t nonce);
bool pow_answer_valid(const PowChallenge& c, uint64_t nonce);

// Tries nonces [first, first + count); returns the first valid one.
std::optional<uint64_t> pow_search(const PowChallenge& c, uint64_t first, uint64_t count);

}  // namespace chrysalis::net
