#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/gguf_format.h"

namespace chrysalis::model {

// A SentencePiece-style ("llama") vocabulary, as llama.cpp expects it in GGUF:
// <unk> <s> </s>, the 256 byte-fallback tokens <0x00>..<0xFF>, ChatML control tokens,
// then printable pieces ('▁' marks a leading space) ordered by descending score.
struct TestVocab {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<gguf::TokenKind> kinds;

  uint32_t unk_id = 0;
  uint32_t bos_id = 1;
  uint32_t eos_id = 2;
  uint32_t im_start_id = 0;
  uint32_t im_end_id = 0;

  // Token ids whose generation would spoil the demo output (control tokens, stray
  // non-ASCII bytes that form invalid UTF-8 alone); the weights steer the model away from them.
  std::vector<uint32_t> discouraged_ids() const;
};

inline constexpr uint32_t kMinTestVocabSize = 384;
inline constexpr uint32_t kMaxTestVocabSize = 16384;

// Builds exactly `size` tokens; throws std::invalid_argument outside [kMinTestVocabSize, kMaxTestVocabSize].
TestVocab build_test_vocab(uint32_t size);

}  // namespace chrysalis::model
