#include "ton/cells/boc.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <map>

namespace chrysalis::ton {

namespace {

constexpr uint32_t kMagicGeneric = 0xb5ee9c72;
constexpr uint32_t kMagicIndexed = 0x68ff65f3;
constexpr uint32_t kMagicIndexedCrc = 0xacc3a728;

unsigned bytes_for(uint64_t value) { return std::max(1u, static_cast<unsigned>((std::bit_width(value) + 7) / 8)); }

void put_uint(Bytes& out, uint64_t value, unsigned bytes) {
  for (unsigned i = bytes; i-- > 0;) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

struct SortedCells {
  std::vector<CellRef> cells;             // BoC order: every reference points forward
  std::vector<std::vector<size_t>> refs;  // per cell, the indices of its references
  std::vector<size_t> root_indices;
};

// Same order as @ton/core's topologicalSort: unique cells (by hash) collected breadth-first,
// then a depth-first post-order that visits references last-to-first, reversed.
SortedCells sort_cells(const std::vector<CellRef>& roots) {
  std::map<Hash256, size_t> id_of;
  std::vector<CellRef> unique;
  std::vector<CellRef> pending = roots;
  while (!pending.empty()) {
    std::vector<CellRef> next;
    for (const auto& c : pending) {
      if (id_of.count(c->hash())) continue;
      id_of.emplace(c->hash(), unique.size());
      unique.push_back(c);
      for (const auto& r : c->refs()) next.push_back(r);
    }
    pending = std::move(next);
  }
  std::vector<char> done(unique.size(), 0);
  std::vector<size_t> post;
  post.reserve(unique.size());
  for (size_t start = 0; start < unique.size(); ++start) {
    if (done[start]) continue;
    // Stack of (cell id, how many of its refs, counted from the last, were visited).
    std::vector<std::pair<size_t, size_t>> stack{{start, 0}};
    done[start] = 1;
    while (!stack.empty()) {
      auto& [id, visited] = stack.back();
      const auto& refs = unique[id]->refs();
      if (visited < refs.size()) {
        size_t child = id_of.at(refs[refs.size() - 1 - visited]->hash());
        ++visited;
        if (!done[child]) {
          done[child] = 1;
          stack.push_back({child, 0});
        }
        continue;
      }
      post.push_back(id);
      stack.pop_back();
    }
  }
  SortedCells out;
  std::vector<size_t> position(unique.size());
  for (size_t i = 0; i < post.size(); ++i) position[post[post.size() - 1 - i]] = i;
  for (size_t i = post.size(); i-- > 0;) {
    const auto& cell = unique[post[i]];
    out.cells.push_back(cell);
    std::vector<size_t> refs;
    for (const auto& r : cell->refs()) refs.push_back(position[id_of.at(r->hash())]);
    out.refs.push_back(std::move(refs));
  }
  for (const auto& r : roots) out.root_indices.push_back(position[id_of.at(r->hash())]);
  return out;
}

// Bounds-checked big-endian reader over the input.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  size_t pos() const { return pos_; }
  size_t left() const { return bytes_.size() - pos_; }
  uint64_t uint(unsigned n, const char* what) {
    need(n, what);
    uint64_t v = 0;
    for (unsigned i = 0; i < n; ++i) v = v << 8 | bytes_[pos_++];
    return v;
  }
  std::span<const uint8_t> take(size_t n, const char* what) {
    need(n, what);
    auto s = bytes_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  void need(size_t n, const char* what) const {
    if (n > left())
      throw BocError(std::string("BoC truncated: ") + what + " needs " + std::to_string(n) + " bytes, " +
                     std::to_string(left()) + " left");
  }
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

struct RawCell {
  std::span<const uint8_t> data;
  unsigned bits = 0;
  std::vector<size_t> refs;
  const uint8_t* stored_hash = nullptr;  // with_hashes cells: hash and depth as stored
  unsigned stored_depth = 0;
  size_t end_offset = 0;  // within the cell data, for the index check
};

std::string at_cell(size_t i) { return " (cell " + std::to_string(i) + ")"; }

RawCell read_cell(Reader& r, size_t index, size_t cells, unsigned ref_size, size_t data_start) {
  RawCell c;
  uint8_t d1 = static_cast<uint8_t>(r.uint(1, "cell descriptor d1"));
  uint8_t d2 = static_cast<uint8_t>(r.uint(1, "cell descriptor d2"));
  unsigned refs = d1 & 7;
  if (refs > 4)
    throw BocError("bad d1 0x" + to_hex(std::span(&d1, 1)) + ": " + std::to_string(refs) +
                   " references (absent cells are not supported)" + at_cell(index));
  if (d1 & 8)
    throw BocError("exotic cell (d1 0x" + to_hex(std::span(&d1, 1)) + "): only ordinary cells are supported" +
                   at_cell(index));
  if (d1 >> 5)
    throw BocError("bad d1 0x" + to_hex(std::span(&d1, 1)) + ": non-zero level mask in an ordinary cell" +
                   at_cell(index));
  if (d1 & 16) {
    c.stored_hash = r.take(32, "stored cell hash").data();
    c.stored_depth = static_cast<unsigned>(r.uint(2, "stored cell depth"));
  }
  size_t data_bytes = (d2 + 1u) / 2;
  c.data = r.take(data_bytes, "cell data");
  c.bits = static_cast<unsigned>(data_bytes * 8);
  if (d2 & 1) {
    uint8_t last = c.data.back();
    if (last == 0)
      throw BocError("non-canonical padding: odd d2 but the last data byte has no completion tag" + at_cell(index));
    if (last == 0x80)
      throw BocError("non-canonical padding: odd d2 padding a whole byte (d2 should be even)" + at_cell(index));
    c.bits -= static_cast<unsigned>(std::countr_zero(last)) + 1;
  }
  for (unsigned k = 0; k < refs; ++k) {
    uint64_t to = r.uint(ref_size, "cell reference");
    if (to >= cells)
      throw BocError("reference to cell " + std::to_string(to) + " of " + std::to_string(cells) + at_cell(index));
    if (to <= index)
      throw BocError("reference to cell " + std::to_string(to) + " from cell " + std::to_string(index) +
                     ": references must point to later cells (backward reference or cycle)");
    c.refs.push_back(static_cast<size_t>(to));
  }
  c.end_offset = r.pos() - data_start;
  return c;
}

}  // namespace

Bytes serialize_boc(const std::vector<CellRef>& roots, const BocWriteOptions& options) {
  if (roots.empty()) throw BocError("serialize_boc: no root cells");
  for (const auto& r : roots)
    if (!r) throw BocError("serialize_boc: null root cell");
  SortedCells sorted = sort_cells(roots);
  uint64_t cells = sorted.cells.size();
  unsigned ref_size = bytes_for(cells);
  uint64_t total = 0;
  std::vector<uint64_t> ends;
  for (const auto& c : sorted.cells) {
    total += 2 + c->data().size() + c->refs().size() * ref_size;
    ends.push_back(total);
  }
  unsigned off_size = bytes_for(total);
  Bytes out;
  put_uint(out, kMagicGeneric, 4);
  out.push_back(static_cast<uint8_t>((options.index ? 0x80 : 0) | (options.crc32c ? 0x40 : 0) | ref_size));
  out.push_back(static_cast<uint8_t>(off_size));
  put_uint(out, cells, ref_size);
  put_uint(out, roots.size(), ref_size);
  put_uint(out, 0, ref_size);  // absent
  put_uint(out, total, off_size);
  for (size_t r : sorted.root_indices) put_uint(out, r, ref_size);
  if (options.index)
    for (uint64_t e : ends) put_uint(out, e, off_size);
  for (size_t i = 0; i < sorted.cells.size(); ++i) {
    const auto& c = sorted.cells[i];
    out.push_back(c->d1());
    out.push_back(c->d2());
    Bytes padded = c->padded_data();
    out.insert(out.end(), padded.begin(), padded.end());
    for (size_t r : sorted.refs[i]) put_uint(out, r, ref_size);
  }
  if (options.crc32c) {
    uint32_t crc = crc32c(out);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(crc >> (8 * i)));
  }
  return out;
}

Bytes serialize_boc(const CellRef& root, const BocWriteOptions& options) {
  return serialize_boc(std::vector<CellRef>{root}, options);
}

namespace {

// What a BoC's header declares.
struct BocHeader {
  uint32_t magic = 0;
  bool has_index = false, has_crc = false, has_cache_bits = false;
  unsigned ref_size = 0, off_size = 0;
  uint64_t cells = 0, roots = 0, absent = 0, total = 0;
};

// The magic and flags, then the sizes and counts they announce.
BocHeader read_boc_header(Reader& r) {
  BocHeader h;
  h.magic = static_cast<uint32_t>(r.uint(4, "magic"));
  if (h.magic == kMagicGeneric) {
    uint8_t flags = static_cast<uint8_t>(r.uint(1, "flags"));
    h.has_index = flags & 0x80;
    h.has_crc = flags & 0x40;
    h.has_cache_bits = flags & 0x20;
    if (flags & 0x18) throw BocError("BoC reserved flag bits are set");
    if (h.has_cache_bits && !h.has_index) throw BocError("BoC has cache bits without an index");
    h.ref_size = flags & 7;
  } else if (h.magic == kMagicIndexed || h.magic == kMagicIndexedCrc) {
    h.has_index = true;
    h.has_crc = h.magic == kMagicIndexedCrc;
    h.ref_size = static_cast<unsigned>(r.uint(1, "size"));
  } else {
    uint8_t head[4] = {static_cast<uint8_t>(h.magic >> 24), static_cast<uint8_t>(h.magic >> 16),
                       static_cast<uint8_t>(h.magic >> 8), static_cast<uint8_t>(h.magic)};
    throw BocError("not a bag of cells: bad magic " + to_hex(head));
  }
  if (h.ref_size < 1 || h.ref_size > 4)
    throw BocError("BoC reference size " + std::to_string(h.ref_size) + " outside 1..4 bytes");
  h.off_size = static_cast<unsigned>(r.uint(1, "offset size"));
  if (h.off_size < 1 || h.off_size > 8)
    throw BocError("BoC offset size " + std::to_string(h.off_size) + " outside 1..8 bytes");
  h.cells = r.uint(h.ref_size, "cell count");
  h.roots = r.uint(h.ref_size, "root count");
  h.absent = r.uint(h.ref_size, "absent count");
  h.total = r.uint(h.off_size, "total cell size");
  return h;
}

// The header's counts against the limits, each other and the input's size.
void check_boc_counts(const BocHeader& h, const BocLimits& limits, size_t input_bytes) {
  if (h.cells == 0) throw BocError("BoC has no cells");
  if (h.cells > limits.max_cells)
    throw BocError("BoC cell count " + std::to_string(h.cells) + " exceeds the limit of " +
                   std::to_string(limits.max_cells));
  if (h.roots == 0) throw BocError("BoC has no roots");
  if (h.roots > h.cells)
    throw BocError("BoC root count " + std::to_string(h.roots) + " exceeds its cell count " + std::to_string(h.cells));
  if (h.roots > limits.max_roots)
    throw BocError("BoC root count " + std::to_string(h.roots) + " exceeds the limit of " +
                   std::to_string(limits.max_roots));
  if (h.absent != 0)
    throw BocError("BoC declares " + std::to_string(h.absent) + " absent cells; partial BoCs are not supported");
  uint64_t max_cell_bytes = 2 + 32 + 2 + 128 + 4ull * h.ref_size;
  if (h.total < h.cells * 2 || h.total > h.cells * max_cell_bytes)
    throw BocError("BoC total cell size " + std::to_string(h.total) + " impossible for " + std::to_string(h.cells) +
                   " cells");
  if (h.total > input_bytes)
    throw BocError("BoC total cell size " + std::to_string(h.total) + " exceeds the input (" +
                   std::to_string(input_bytes) + " bytes)");
}

// The roots' cell indexes: listed in the generic format, cell 0 in the old indexed ones.
std::vector<size_t> read_root_list(Reader& r, const BocHeader& h) {
  std::vector<size_t> root_list;
  if (h.magic == kMagicGeneric) {
    for (uint64_t i = 0; i < h.roots; ++i) {
      uint64_t idx = r.uint(h.ref_size, "root index");
      if (idx >= h.cells)
        throw BocError("BoC root index " + std::to_string(idx) + " beyond its " + std::to_string(h.cells) + " cells");
      root_list.push_back(static_cast<size_t>(idx));
    }
  } else {
    if (h.roots != 1) throw BocError("indexed BoC (old magic) must have exactly one root");
    root_list.push_back(0);
  }
  return root_list;
}

// What follows the cell data: the CRC32C of everything before it, if the header says so, and nothing else.
void check_boc_trailer(Reader& r, const BocHeader& h, std::span<const uint8_t> bytes) {
  if (h.has_crc) {
    size_t body_end = r.pos();
    uint32_t stored = static_cast<uint32_t>(r.uint(4, "CRC32C"));
    stored = __builtin_bswap32(stored);  // stored little-endian
    if (r.left() != 0) throw BocError("BoC has " + std::to_string(r.left()) + " trailing bytes after the CRC32C");
    if (crc32c(bytes.first(body_end)) != stored) throw BocError("BoC CRC32C mismatch (corrupted data)");
  } else if (r.left() != 0) {
    throw BocError("BoC has " + std::to_string(r.left()) + " trailing bytes after the cell data");
  }
}

// Each cell as stored, which must fill the cell data exactly.
std::vector<RawCell> read_raw_cells(std::span<const uint8_t> data, const BocHeader& h) {
  Reader cell_reader(data);
  std::vector<RawCell> raw;
  raw.reserve(static_cast<size_t>(h.cells));
  for (size_t i = 0; i < h.cells; ++i)
    raw.push_back(read_cell(cell_reader, i, static_cast<size_t>(h.cells), h.ref_size, 0));
  if (cell_reader.left() != 0)
    throw BocError("BoC cell data has " + std::to_string(cell_reader.left()) + " bytes beyond its " +
                   std::to_string(h.cells) + " cells");
  return raw;
}

// The index, when present, must give each cell's end offset.
void check_boc_index(std::span<const uint8_t> index, const BocHeader& h, const std::vector<RawCell>& raw) {
  Reader ir(index);
  for (size_t i = 0; i < h.cells; ++i) {
    uint64_t entry = ir.uint(h.off_size, "index entry");
    if (h.has_cache_bits) entry >>= 1;
    if (entry != raw[i].end_offset)
      throw BocError("BoC index entry " + std::to_string(i) + " says offset " + std::to_string(entry) +
                     ", the cell ends at " + std::to_string(raw[i].end_offset));
  }
}

// The cells, built from the last (references point forward) and checked against stored hashes.
std::vector<CellRef> build_cells(const std::vector<RawCell>& raw) {
  std::vector<CellRef> built(raw.size());
  for (size_t i = raw.size(); i-- > 0;) {
    std::vector<CellRef> refs;
    for (size_t to : raw[i].refs) refs.push_back(built[to]);
    try {
      built[i] = Cell::make(raw[i].data, raw[i].bits, std::move(refs));
    } catch (const CellOverflow& e) {
      throw BocError(std::string("bad depth: ") + e.what() + at_cell(i));
    }
    if (raw[i].stored_hash) {
      if (!std::equal(built[i]->hash().begin(), built[i]->hash().end(), raw[i].stored_hash))
        throw BocError("stored hash differs from the computed one" + at_cell(i));
      if (raw[i].stored_depth != built[i]->depth())
        throw BocError("bad depth: stored depth " + std::to_string(raw[i].stored_depth) + ", computed " +
                       std::to_string(built[i]->depth()) + at_cell(i));
    }
  }
  return built;
}

}  // namespace

std::vector<CellRef> deserialize_boc(std::span<const uint8_t> bytes, const BocLimits& limits) {
  if (bytes.size() > limits.max_bytes)
    throw BocError("BoC of " + std::to_string(bytes.size()) + " bytes exceeds the limit of " +
                   std::to_string(limits.max_bytes));
  Reader r(bytes);
  const BocHeader h = read_boc_header(r);
  check_boc_counts(h, limits, bytes.size());
  std::vector<size_t> root_list = read_root_list(r, h);
  std::span<const uint8_t> index;
  if (h.has_index) index = r.take(static_cast<size_t>(h.cells) * h.off_size, "index");
  std::span<const uint8_t> data = r.take(static_cast<size_t>(h.total), "cell data");
  check_boc_trailer(r, h, bytes);

  std::vector<RawCell> raw = read_raw_cells(data, h);
  if (h.has_index) check_boc_index(index, h, raw);
  std::vector<CellRef> built = build_cells(raw);
  std::vector<CellRef> out;
  for (size_t idx : root_list) out.push_back(built[idx]);
  return out;
}

CellRef deserialize_boc_single(std::span<const uint8_t> bytes, const BocLimits& limits) {
  auto roots = deserialize_boc(bytes, limits);
  if (roots.size() != 1) throw BocError("expected a BoC with one root, got " + std::to_string(roots.size()));
  return roots.front();
}

std::string boc_to_base64(const CellRef& root, const BocWriteOptions& options) {
  return to_base64(serialize_boc(root, options));
}

CellRef boc_from_base64(std::string_view text, const BocLimits& limits) {
  Bytes bytes;
  try {
    bytes = from_base64(text);
  } catch (const std::invalid_argument& e) {
    throw BocError(std::string("BoC base64: ") + e.what());
  }
  return deserialize_boc_single(bytes, limits);
}

Bytes boc_bytes_from_text(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty()) throw BocError("BoC text is empty");
  std::string head(text.substr(0, 8));
  std::transform(head.begin(), head.end(), head.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
  try {
    if (head == "b5ee9c72" || head == "68ff65f3" || head == "acc3a728") return from_hex(text);
    return from_base64(text);
  } catch (const std::invalid_argument& e) {
    throw BocError(std::string("BoC text is neither hex nor base64: ") + e.what());
  }
}

}  // namespace chrysalis::ton
