#include "ton/cells/contract_dictionary.h"

namespace chrysalis::ton::contracts {

namespace {

unsigned bits_for(unsigned max_value) {  // ceil(log2(max_value + 1))
  unsigned n = 0;
  while ((1u << n) <= max_value && n < 32) ++n;
  return n;
}

struct Walker {
  unsigned key_bits;
  size_t max_entries;
  std::vector<DictionaryEntry> out;

  void walk(const CellRef& cell, std::vector<bool> prefix, unsigned remaining, int depth) {
    if (depth > 300) throw CellUnderflow("dictionary deeper than its key");
    CellSlice s(cell);
    // Label: hml_short$0 Unary n + n bits | hml_long$10 n:#<=m + n bits | hml_same$11 bit n:#<=m.
    unsigned len = 0;
    if (!s.load_bit()) {
      while (s.load_bit()) ++len;
      if (len > remaining) throw CellUnderflow("dictionary label longer than the key");
      for (unsigned i = 0; i < len; ++i) prefix.push_back(s.load_bit());
    } else if (!s.load_bit()) {
      len = static_cast<unsigned>(s.load_uint(bits_for(remaining)));
      if (len > remaining) throw CellUnderflow("dictionary label longer than the key");
      for (unsigned i = 0; i < len; ++i) prefix.push_back(s.load_bit());
    } else {
      bool bit = s.load_bit();
      len = static_cast<unsigned>(s.load_uint(bits_for(remaining)));
      if (len > remaining) throw CellUnderflow("dictionary label longer than the key");
      prefix.insert(prefix.end(), len, bit);
    }
    remaining -= len;
    if (remaining == 0) {
      if (out.size() >= max_entries)
        throw CellOverflow("dictionary has more than " + std::to_string(max_entries) + " entries");
      Bytes key((key_bits + 7) / 8, 0);
      unsigned shift = static_cast<unsigned>(key.size() * 8 - key_bits);
      for (unsigned i = 0; i < key_bits; ++i) {
        if (prefix[i]) key[(i + shift) / 8] |= static_cast<uint8_t>(0x80 >> ((i + shift) % 8));
      }
      out.push_back({std::move(key), s});
      return;
    }
    if (s.remaining_refs() != 2) throw CellUnderflow("dictionary fork without two branches");
    auto left = s.load_ref();
    auto right = s.load_ref();
    auto p0 = prefix;
    p0.push_back(false);
    walk(left, std::move(p0), remaining - 1, depth + 1);
    prefix.push_back(true);
    walk(right, std::move(prefix), remaining - 1, depth + 1);
  }
};

}  // namespace

std::vector<DictionaryEntry> parse_dictionary(const CellRef& root, unsigned key_bits, size_t max_entries) {
  Walker w{key_bits, max_entries, {}};
  if (root) w.walk(root, {}, key_bits, 0);
  return std::move(w.out);
}

}  // namespace chrysalis::ton::contracts
