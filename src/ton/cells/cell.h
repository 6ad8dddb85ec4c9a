#pragma once
// Ordinary TON cells: up to 1023 data bits and 4 references, immutable and shared
// (CellRef = shared_ptr<const Cell>). Build them with CellBuilder, read them with CellSlice.
// Every cell computes its representation hash (SHA-256, as in TVM / @ton/core) and depth on
// construction. Only ordinary cells exist here: exotic cells (pruned branches, library
// references, Merkle proofs/updates) are refused where they could come in (see boc.h).
//
//   auto cell = CellBuilder().store_uint(0x12345678, 32).store_coins(1'000'000'000)
//                   .store_address(addr).store_ref(body).end_cell();
//   CellSlice s(cell);
//   uint32_t op = s.load_uint(32); uint64_t value = s.load_coins(); ...; s.end_parse();
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ton/cells/address.h"
#include "ton/cells/encoding.h"

namespace chrysalis::ton {

// Base of every cell/BoC error.
class CellError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// A builder ran out of bits or refs, a value does not fit its width, or a tree is too deep.
class CellOverflow : public CellError {
 public:
  using CellError::CellError;
};
// A slice was asked for more bits or refs than it has, or holds something the load cannot accept.
class CellUnderflow : public CellError {
 public:
  using CellError::CellError;
};

class Cell;
using CellRef = std::shared_ptr<const Cell>;

class Cell {
 public:
  static constexpr unsigned kMaxBits = 1023;
  static constexpr unsigned kMaxRefs = 4;
  static constexpr unsigned kMaxDepth = 1024;  // TVM's limit on cell tree depth

  // Makes an ordinary cell. `data` holds at least ceil(bits/8) bytes, the first `bits` bits are used
  // (the rest is cleared). Throws CellOverflow for > 1023 bits, > 4 refs, null refs or depth > 1024.
  static CellRef make(std::span<const uint8_t> data, unsigned bits, std::vector<CellRef> refs = {});
  static CellRef empty();  // the cell with no bits and no refs

  unsigned bit_size() const { return bits_; }
  const Bytes& data() const { return data_; }  // ceil(bits/8) bytes, unused low bits zero
  const std::vector<CellRef>& refs() const { return refs_; }
  bool bit(unsigned index) const;  // index < bit_size()

  const Hash256& hash() const { return hash_; }  // representation hash
  std::string hash_hex() const;
  uint16_t depth() const { return depth_; }  // 0 without refs, else 1 + max depth of refs

  // Data bits in Fift notation: upper-case hex; a non-multiple-of-4 length ends in '_' after the
  // completion tag (e.g. 3 bits 101 -> "B_"), like @ton/core's BitString.toString().
  std::string bits_text() const;
  // The descriptor bytes d1 (refs count) and d2 (floor(bits/8) + ceil(bits/8)) and the data
  // padded with the completion tag, as in the BoC and the representation hash.
  uint8_t d1() const { return static_cast<uint8_t>(refs_.size()); }
  uint8_t d2() const { return static_cast<uint8_t>(bits_ / 8 + (bits_ + 7) / 8); }
  Bytes padded_data() const;

  // Equal representation hashes = equal cells.
  bool operator==(const Cell& other) const { return hash_ == other.hash_; }

 private:
  Cell(Bytes data, unsigned bits, std::vector<CellRef> refs);
  Bytes data_;
  unsigned bits_;
  std::vector<CellRef> refs_;
  Hash256 hash_{};
  uint16_t depth_ = 0;
};

class CellSlice;

class CellBuilder {
 public:
  unsigned bits() const { return bits_; }
  unsigned refs() const { return static_cast<unsigned>(refs_.size()); }
  unsigned remaining_bits() const { return Cell::kMaxBits - bits_; }
  unsigned remaining_refs() const { return Cell::kMaxRefs - refs(); }

  // Every store throws CellOverflow when the value does not fit its width or the cell is full.
  CellBuilder& store_bit(bool bit);
  // Unsigned integer in `bits` bits (0..256; wider than 64 means leading zero bits).
  CellBuilder& store_uint(uint64_t value, unsigned bits);
  // Two's complement signed integer in `bits` bits (1..257; wider than 64 sign-extends).
  CellBuilder& store_int(int64_t value, unsigned bits);
  // Big unsigned integer given as big-endian bytes (any length; leading zero bytes allowed).
  CellBuilder& store_uint_be(std::span<const uint8_t> value, unsigned bits);
  // Big signed integer given as big-endian two's complement bytes (sign = top bit of value[0]).
  CellBuilder& store_int_be(std::span<const uint8_t> value, unsigned bits);
  // The first `bits` bits of `data` (MSB first).
  CellBuilder& store_bits(std::span<const uint8_t> data, unsigned bits);
  CellBuilder& store_bytes(std::span<const uint8_t> data);
  CellBuilder& store_string(std::string_view text);  // its bytes, no length, no terminator
  // Coins / Grams: VarUInteger 16 = 4-bit byte length, then that many bytes (0 -> 4 zero bits).
  CellBuilder& store_coins(uint64_t nano);
  CellBuilder& store_coins_be(std::span<const uint8_t> value);  // up to 15 significant bytes
  // MsgAddressInt: addr_std$10 anycast:0 workchain:int8 hash:bits256 (267 bits).
  CellBuilder& store_address(const Address& address);
  // addr_none$00 when empty, else as above.
  CellBuilder& store_address(const std::optional<Address>& address);
  CellBuilder& store_address_none();
  CellBuilder& store_ref(CellRef cell);
  // Maybe ^Cell: bit 0 for null, else bit 1 and the reference.
  CellBuilder& store_maybe_ref(const CellRef& cell);
  // The remaining bits and refs of a slice / the contents of another builder.
  CellBuilder& store_slice(const CellSlice& slice);
  CellBuilder& store_builder(const CellBuilder& other);
  // All bits and refs of a cell (its contents inline, not a reference).
  CellBuilder& store_cell_contents(const CellRef& cell);

  CellRef end_cell() const;

 private:
  void need(unsigned bits, unsigned refs) const;
  void append_bits(std::span<const uint8_t> data, unsigned offset, unsigned bits);
  uint8_t data_[128] = {};
  unsigned bits_ = 0;
  std::vector<CellRef> refs_;
};

class CellSlice {
 public:
  explicit CellSlice(CellRef cell);

  unsigned remaining_bits() const { return bit_end_ - bit_pos_; }
  unsigned remaining_refs() const { return static_cast<unsigned>(cell_->refs().size()) - ref_pos_; }
  bool empty() const { return remaining_bits() == 0 && remaining_refs() == 0; }
  const CellRef& cell() const { return cell_; }

  // Every load throws CellUnderflow ("need N bits, M left") when the slice is too short.
  bool load_bit();
  uint64_t load_uint(unsigned bits);  // 0..64
  int64_t load_int(unsigned bits);    // 1..64
  uint64_t preload_uint(unsigned bits) const;
  // The next `bits` (0..257, so int257 fits) as an unsigned big-endian number in ceil(bits/8) bytes (value
  // right-aligned).
  Bytes load_uint_be(unsigned bits);
  Hash256 load_uint256();
  // The next `bits` bits, MSB first, in ceil(bits/8) bytes (left-aligned, low bits zero).
  Bytes load_bits(unsigned bits);
  Bytes load_bytes(size_t count);
  void skip_bits(unsigned bits);
  // VarUInteger 16; load_coins throws CellUnderflow when the amount exceeds 64 bits.
  uint64_t load_coins();
  Bytes load_coins_be();  // minimal big-endian bytes (empty for 0)
  // MsgAddressInt or addr_none (nullopt). addr_extern, addr_var and anycast are refused (CellUnderflow).
  std::optional<Address> load_address_opt();
  // As above but addr_none is refused too.
  Address load_address();
  CellRef load_ref();
  CellRef load_maybe_ref();  // nullptr for bit 0
  // Throws CellUnderflow naming what is left when the slice is not fully consumed.
  void end_parse() const;

 private:
  void need_bits(unsigned bits) const;
  CellRef cell_;
  unsigned bit_pos_ = 0;
  unsigned bit_end_ = 0;
  unsigned ref_pos_ = 0;
  friend class CellBuilder;
};

}  // namespace chrysalis::ton
