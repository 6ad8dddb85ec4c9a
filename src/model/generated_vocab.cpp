#include "model/generated_vocab.h"

#include <array>
#include <cstdio>
#include <set>
#include <stdexcept>

namespace chrysalis::model {

namespace {

const std::string kSpace = "\xE2\x96\x81";  // U+2581 '▁', SentencePiece's marker for a preceding space

// Frequent English words, most frequent first; their pieces get the highest scores.
constexpr std::array kWords = {
    "the",     "of",     "and",    "to",      "a",       "in",        "is",     "you",   "that",      "it",
    "he",      "was",    "for",    "on",      "are",     "as",        "with",   "his",   "they",      "I",
    "at",      "be",     "this",   "have",    "from",    "or",        "one",    "had",   "by",        "word",
    "but",     "not",    "what",   "all",     "were",    "we",        "when",   "your",  "can",       "said",
    "there",   "use",    "an",     "each",    "which",   "she",       "do",     "how",   "their",     "if",
    "will",    "up",     "other",  "about",   "out",     "many",      "then",   "them",  "these",     "so",
    "some",    "her",    "would",  "make",    "like",    "him",       "into",   "time",  "has",       "look",
    "two",     "more",   "write",  "go",      "see",     "number",    "no",     "way",   "could",     "people",
    "my",      "than",   "first",  "water",   "been",    "call",      "who",    "oil",   "its",       "now",
    "find",    "long",   "down",   "day",     "did",     "get",       "come",   "made",  "may",       "part",
    "hello",   "world",  "model",  "token",   "answer",  "question",  "chat",   "user",  "assistant", "system",
    "network", "cocoon", "secure", "private", "compute", "inference", "worker", "proxy", "client",    "The",
    "Hello",   "It",     "This",   "What",    "We",      "You",       "A",      "In",    "yes",       "good",
    "new",     "work",   "know",   "just",    "help",    "thank",     "please", "sure",  "here",      "very",
    "over",    "think",  "also",   "back",    "after",   "use",       "only",   "well",  "year",      "because",
};

const std::string kSingleChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'\"-:;()";

std::string byte_token(int b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "<0x%02X>", b);  // llama.cpp looks bytes up by this exact spelling
  return buf;
}

// Appends pieces in the order they should rank; duplicates are skipped.
class PieceList {
 public:
  void add(const std::string& piece) {
    if (seen_.insert(piece).second) pieces_.push_back(piece);
  }
  const std::vector<std::string>& pieces() const { return pieces_; }

 private:
  std::set<std::string> seen_;
  std::vector<std::string> pieces_;
};

// Word pieces come with all their '▁'-prefixes, so SentencePiece's pairwise merging can
// always grow "▁h" -> "▁he" -> "▁hel" ... up to the whole word.
std::vector<std::string> printable_pieces() {
  PieceList list;
  list.add(kSpace);
  for (char c : kSingleChars) list.add(std::string(1, c));
  for (const char* word : kWords) {
    const std::string w = word;
    for (size_t len = 1; len <= w.size(); ++len) list.add(kSpace + w.substr(0, len));
  }
  // Filler to reach any requested size: letter pairs, then '▁'-pairs, then letter triples.
  const std::string letters = "etaoinshrdlcumwfgypbvkjxqz";  // rough English frequency order
  for (char a : letters)
    for (char b : letters) list.add(std::string{a, b});
  for (char a : letters)
    for (char b : letters) list.add(kSpace + std::string{a, b});
  for (char a : letters)
    for (char b : letters)
      for (char c : letters) list.add(std::string{a, b, c});
  return list.pieces();
}

}  // namespace

std::vector<uint32_t> TestVocab::discouraged_ids() const {
  std::vector<uint32_t> ids;
  for (uint32_t id = 0; id < tokens.size(); ++id) {
    if (kinds[id] == gguf::TokenKind::Control || kinds[id] == gguf::TokenKind::Unknown) {
      ids.push_back(id);
    } else if (kinds[id] == gguf::TokenKind::Byte) {
      // Keep newline and printable ASCII; everything else is a control byte or half a UTF-8 sequence.
      const int b = std::stoi(tokens[id].substr(3, 2), nullptr, 16);
      if (!(b == '\n' || (b >= 0x20 && b < 0x7F))) ids.push_back(id);
    }
  }
  return ids;
}

TestVocab build_test_vocab(uint32_t size) {
  if (size < kMinTestVocabSize || size > kMaxTestVocabSize) {
    throw std::invalid_argument("vocab size must be in [" + std::to_string(kMinTestVocabSize) + ", " +
                                std::to_string(kMaxTestVocabSize) + "]");
  }
  TestVocab v;
  auto add = [&v](std::string text, float score, gguf::TokenKind kind) {
    v.tokens.push_back(std::move(text));
    v.scores.push_back(score);
    v.kinds.push_back(kind);
    return static_cast<uint32_t>(v.tokens.size() - 1);
  };
  v.unk_id = add("<unk>", 0.0f, gguf::TokenKind::Unknown);
  v.bos_id = add("<s>", 0.0f, gguf::TokenKind::Control);
  v.eos_id = add("</s>", 0.0f, gguf::TokenKind::Control);
  for (int b = 0; b < 256; ++b) add(byte_token(b), 0.0f, gguf::TokenKind::Byte);
  v.im_start_id = add("<|im_start|>", 0.0f, gguf::TokenKind::Control);
  v.im_end_id = add("<|im_end|>", 0.0f, gguf::TokenKind::Control);

  // SentencePiece merges the pair whose result scores highest, so earlier pieces score higher.
  const auto pieces = printable_pieces();
  const size_t wanted = size - v.tokens.size();
  if (pieces.size() < wanted) throw std::invalid_argument("vocab size too large for the test vocabulary");
  for (size_t i = 0; i < wanted; ++i) add(pieces[i], -static_cast<float>(i), gguf::TokenKind::Normal);
  return v;
}

}  // namespace chrysalis::model
