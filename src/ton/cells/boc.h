#pragma once
// Bag-of-cells (BoC) serialization, the standard binary form of cell trees (TL-B
// serialized_boc#b5ee9c72; the older indexed magics 0x68ff65f3 / 0xacc3a728 are read too).
//
// serialize_boc() writes cells in the same order as @ton/core (so the bytes match it exactly),
// optionally with the offset index and the CRC32C trailer; @ton/core's default is crc32c on, index off.
//
// deserialize_boc() is strict: it is meant for bytes from the network. It refuses, with a BocError
// naming the problem and the offending cell: unknown magic, reserved flags, cache bits without an
// index, size fields out of range (ref size 1..4 bytes, offset size 1..8), counts beyond the limits
// below, roots > cells, absent cells (partial BoCs), root indices out of range, truncated data or
// trailing bytes, index entries that do not match the cells, CRC32C mismatch, d1 with more than 4 refs
// or a non-zero level, exotic cells (only ordinary cells are supported — pruned branches, library
// cells and Merkle proofs are refused), non-canonical padding (odd d2 whose last byte has no
// completion tag or would hold a whole byte), references to the same or an earlier cell (a standard BoC
// orders every reference forward, so cycles cannot be expressed), stored hashes/depths that differ from
// the computed ones and trees deeper than Cell::kMaxDepth.
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "ton/cells/cell.h"

namespace chrysalis::ton {

class BocError : public CellError {
 public:
  using CellError::CellError;
};

struct BocWriteOptions {
  bool index = false;  // has_idx: per-cell end offsets after the root list
  bool crc32c = true;  // CRC32C (little-endian) of everything before it, at the end
};

struct BocLimits {
  size_t max_cells = size_t{1} << 20;
  size_t max_roots = 1024;
  size_t max_bytes = size_t{64} << 20;  // whole input
};

Bytes serialize_boc(const CellRef& root, const BocWriteOptions& options = {});
Bytes serialize_boc(const std::vector<CellRef>& roots, const BocWriteOptions& options = {});

// Every root, in the order of the BoC's root list.
std::vector<CellRef> deserialize_boc(std::span<const uint8_t> bytes, const BocLimits& limits = {});
// Exactly one root, else BocError.
CellRef deserialize_boc_single(std::span<const uint8_t> bytes, const BocLimits& limits = {});

// Text helpers: base64 (either alphabet) as toncenter sends BoCs.
std::string boc_to_base64(const CellRef& root, const BocWriteOptions& options = {});
CellRef boc_from_base64(std::string_view text, const BocLimits& limits = {});
// Turns hex or base64 text (surrounding whitespace ignored) into bytes; hex is recognised by
// its "b5ee9c72" / "68ff65f3" / "acc3a728" prefix (any case). Throws BocError when neither decodes.
Bytes boc_bytes_from_text(std::string_view text);

}  // namespace chrysalis::ton
