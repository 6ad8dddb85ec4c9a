#pragma once
// Read-only HashmapE (TL-B Hashmap n X) walker for the dictionaries the root contract returns:
// hash sets (key uint256, value bool) and the proxy registry (key uint32, value ProxyEntry).
#include <vector>

#include "ton/cells/cell.h"

namespace chrysalis::ton::contracts {

struct DictionaryEntry {
  Bytes key;        // ceil(key_bits/8) bytes, big-endian, right-aligned (key_bits % 8 leading zero bits)
  CellSlice value;  // the leaf's remaining bits and refs
};

// Entries of the dictionary whose root cell is `root` (null = empty), in ascending key order.
// Throws CellError for a malformed label or fork, and beyond max_entries.
std::vector<DictionaryEntry> parse_dictionary(const CellRef& root, unsigned key_bits, size_t max_entries = 1 << 16);

}  // namespace chrysalis::ton::contracts
