#include "net/pow_puzzle.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <bit>
#include <stdexcept>

namespace chrysalis::net {
namespace {

void put_le(uint8_t* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out[i] = static_cast<uint8_t>(value >> (8 * i));
}

uint64_t get_le(const uint8_t* in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(in[i]) << (8 * i);
  return v;
}

}  // namespace

PowChallenge make_pow_challenge(int32_t difficulty) {
  PowChallenge c;
  c.difficulty = difficulty;
  if (RAND_bytes(c.salt.data(), static_cast<int>(c.salt.size())) != 1)
    throw std::runtime_error("RAND_bytes failed while making a proof-of-work salt");
  return c;
}

std::array<uint8_t, kPowChallengeBytes> encode_pow_challenge(const PowChallenge& c) {
  std::array<uint8_t, kPowChallengeBytes> out{};
  put_le(out.data(), kPowChallengeMagic, 4);
  put_le(out.data() + 4, static_cast<uint32_t>(c.difficulty), 4);
  std::copy(c.salt.begin(), c.salt.end(), out.begin() + 8);
  return out;
}

std::optional<PowChallenge> decode_pow_challenge(const uint8_t* data, std::string& error) {
  uint32_t magic = static_cast<uint32_t>(get_le(data, 4));
  if (magic != kPowChallengeMagic) {
    error = "not a proof-of-work challenge (magic " + std::to_string(magic) + ")";
    return std::nullopt;
  }
  PowChallenge c;
  c.difficulty = static_cast<int32_t>(static_cast<uint32_t>(get_le(data + 4, 4)));
  if (c.difficulty < 0 || c.difficulty > kPowMaxDifficulty) {
    error = "proof-of-work difficulty " + std::to_string(c.difficulty) + " is outside 0.." +
            std::to_string(kPowMaxDifficulty);
    return std::nullopt;
  }
  std::copy(data + 8, data + 24, c.salt.begin());
  return c;
}

std::array<uint8_t, kPowAnswerBytes> encode_pow_answer(uint64_t nonce) {
  std::array<uint8_t, kPowAnswerBytes> out{};
  put_le(out.data(), kPowAnswerMagic, 4);
  put_le(out.data() + 4, nonce, 8);
  return out;
}

std::optional<uint64_t> decode_pow_answer(const uint8_t* data, std::string& error) {
  uint32_t magic = static_cast<uint32_t>(get_le(data, 4));
  if (magic != kPowAnswerMagic) {
    error = "not a proof-of-work answer (magic " + std::to_string(magic) + ")";
    return std::nullopt;
  }
  return get_le(data + 4, 8);
}

int pow_leading_zero_bits(const std::array<uint8_t, 16>& salt, uint64_t nonce) {
  uint8_t input[24];
  std::copy(salt.begin(), salt.end(), input);
  put_le(input + 16, nonce, 8);
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(input, sizeof input, digest);
  return std::countl_zero(get_le(digest, 8));
}

bool pow_answer_valid(const PowChallenge& c, uint64_t nonce) {
  return pow_leading_zero_bits(c.salt, nonce) >= c.difficulty;
}

std::optional<uint64_t> pow_search(const PowChallenge& c, uint64_t first, uint64_t count) {
  for (uint64_t n = first; n != first + count; ++n)
    if (pow_answer_valid(c, n)) return n;
  return std::nullopt;
}

}  // namespace chrysalis::net
