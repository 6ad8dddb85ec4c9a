#include "ton/cells/cell.h"

#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <cctype>

namespace chrysalis::ton {

namespace {

bool get_bit(std::span<const uint8_t> data, unsigned index) { return (data[index / 8] >> (7 - index % 8)) & 1; }

Hash256 sha256(std::span<const uint8_t> bytes) {
  Hash256 out{};
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 || len != out.size())
    throw CellError("SHA-256 failed in OpenSSL");
  return out;
}

}  // namespace

// ---------------------------------------------------------------- Cell

Cell::Cell(Bytes data, unsigned bits, std::vector<CellRef> refs)
    : data_(std::move(data)), bits_(bits), refs_(std::move(refs)) {
  // Representation: d1 d2 padded-data, then each ref's depth (2 bytes BE), then each ref's hash.
  Bytes repr;
  repr.reserve(2 + data_.size() + refs_.size() * 34);
  repr.push_back(d1());
  repr.push_back(d2());
  Bytes padded = padded_data();
  repr.insert(repr.end(), padded.begin(), padded.end());
  unsigned max_child = 0;
  for (const auto& r : refs_) {
    repr.push_back(static_cast<uint8_t>(r->depth() >> 8));
    repr.push_back(static_cast<uint8_t>(r->depth()));
    max_child = std::max<unsigned>(max_child, r->depth());
  }
  for (const auto& r : refs_) repr.insert(repr.end(), r->hash().begin(), r->hash().end());
  unsigned depth = refs_.empty() ? 0 : max_child + 1;
  if (depth > kMaxDepth)
    throw CellOverflow("cell tree depth " + std::to_string(depth) + " exceeds " + std::to_string(kMaxDepth));
  depth_ = static_cast<uint16_t>(depth);
  hash_ = sha256(repr);
}

CellRef Cell::make(std::span<const uint8_t> data, unsigned bits, std::vector<CellRef> refs) {
  if (bits > kMaxBits) throw CellOverflow("cell has " + std::to_string(bits) + " bits, more than 1023");
  if (refs.size() > kMaxRefs) throw CellOverflow("cell has " + std::to_string(refs.size()) + " refs, more than 4");
  size_t bytes = (bits + 7) / 8;
  if (data.size() < bytes) throw CellOverflow("cell data shorter than its bit length");
  for (const auto& r : refs)
    if (!r) throw CellOverflow("cell reference is null");
  Bytes copy(data.begin(), data.begin() + bytes);
  if (bits % 8) copy.back() &= static_cast<uint8_t>(0xFF << (8 - bits % 8));
  return CellRef(new Cell(std::move(copy), bits, std::move(refs)));
}

CellRef Cell::empty() {
  static const CellRef kEmpty = make({}, 0);
  return kEmpty;
}

bool Cell::bit(unsigned index) const {
  if (index >= bits_)
    throw CellUnderflow("bit index " + std::to_string(index) + " beyond the cell's " + std::to_string(bits_) + " bits");
  return get_bit(data_, index);
}

std::string Cell::hash_hex() const { return to_hex(hash_); }

Bytes Cell::padded_data() const {
  Bytes out = data_;
  if (bits_ % 8) out.back() |= static_cast<uint8_t>(0x80 >> (bits_ % 8));
  return out;
}

std::string Cell::bits_text() const {
  std::string hex = to_hex(padded_data());
  std::transform(hex.begin(), hex.end(), hex.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
  if (bits_ % 4 == 0) return bits_ % 8 == 0 ? hex : hex.substr(0, hex.size() - 1);
  if (bits_ % 8 <= 4) return hex.substr(0, hex.size() - 1) + "_";
  return hex + "_";
}

// ---------------------------------------------------------------- CellBuilder

void CellBuilder::need(unsigned bits, unsigned refs) const {
  if (bits > remaining_bits())
    throw CellOverflow("cell builder overflow: " + std::to_string(bits) + " more bits, only " +
                       std::to_string(remaining_bits()) + " free");
  if (refs > remaining_refs())
    throw CellOverflow("cell builder overflow: " + std::to_string(refs) + " more refs, only " +
                       std::to_string(remaining_refs()) + " free");
}

void CellBuilder::append_bits(std::span<const uint8_t> data, unsigned offset, unsigned bits) {
  need(bits, 0);
  if (offset % 8 == 0 && bits_ % 8 == 0) {
    std::copy_n(data.begin() + offset / 8, (bits + 7) / 8, data_ + bits_ / 8);
    bits_ += bits;
    if (bits_ % 8) data_[bits_ / 8] &= static_cast<uint8_t>(0xFF << (8 - bits_ % 8));
    return;
  }
  for (unsigned i = 0; i < bits; ++i) store_bit(get_bit(data, offset + i));
}

CellBuilder& CellBuilder::store_bit(bool bit) {
  need(1, 0);
  uint8_t mask = static_cast<uint8_t>(0x80 >> (bits_ % 8));
  if (bit)
    data_[bits_ / 8] |= mask;
  else
    data_[bits_ / 8] &= static_cast<uint8_t>(~mask);
  ++bits_;
  return *this;
}

CellBuilder& CellBuilder::store_uint(uint64_t value, unsigned bits) {
  if (bits > 256) throw CellOverflow("store_uint: width " + std::to_string(bits) + " above 256");
  if (bits < 64 && (value >> bits) != 0)
    throw CellOverflow("store_uint: value " + std::to_string(value) + " does not fit in " + std::to_string(bits) +
                       " bits");
  need(bits, 0);
  for (unsigned i = bits; i-- > 0;) store_bit(i < 64 && ((value >> i) & 1));
  return *this;
}

CellBuilder& CellBuilder::store_int(int64_t value, unsigned bits) {
  if (bits == 0 || bits > 257) throw CellOverflow("store_int: width " + std::to_string(bits) + " outside 1..257");
  if (bits < 64) {
    int64_t limit = int64_t{1} << (bits - 1);
    if (value < -limit || value >= limit)
      throw CellOverflow("store_int: value " + std::to_string(value) + " does not fit in " + std::to_string(bits) +
                         " bits");
  }
  need(bits, 0);
  for (unsigned i = bits; i-- > 0;) store_bit(i < 64 ? ((static_cast<uint64_t>(value) >> i) & 1) : value < 0);
  return *this;
}

CellBuilder& CellBuilder::store_uint_be(std::span<const uint8_t> value, unsigned bits) {
  if (bits > 256) throw CellOverflow("store_uint_be: width " + std::to_string(bits) + " above 256");
  size_t first = 0;
  while (first < value.size() && value[first] == 0) ++first;
  unsigned significant = 0;
  if (first < value.size())
    significant =
        static_cast<unsigned>(value.size() - first - 1) * 8 + static_cast<unsigned>(std::bit_width(value[first]));
  if (significant > bits)
    throw CellOverflow("store_uint_be: value of " + std::to_string(significant) + " bits does not fit in " +
                       std::to_string(bits));
  need(bits, 0);
  for (unsigned i = bits; i-- > 0;) {
    size_t byte_from_end = i / 8;
    store_bit(byte_from_end < value.size() && ((value[value.size() - 1 - byte_from_end] >> (i % 8)) & 1));
  }
  return *this;
}

CellBuilder& CellBuilder::store_int_be(std::span<const uint8_t> value, unsigned bits) {
  if (bits == 0 || bits > 257) throw CellOverflow("store_int_be: width " + std::to_string(bits) + " outside 1..257");
  bool negative = !value.empty() && (value[0] & 0x80);
  auto bit_at = [&](size_t i) {  // bit i from the least significant, sign-extended
    size_t byte_from_end = i / 8;
    if (byte_from_end >= value.size()) return negative;
    return ((value[value.size() - 1 - byte_from_end] >> (i % 8)) & 1) != 0;
  };
  for (size_t i = bits - 1; i < value.size() * 8; ++i)
    if (bit_at(i) != negative)
      throw CellOverflow("store_int_be: value does not fit in " + std::to_string(bits) + " bits");
  need(bits, 0);
  for (unsigned i = bits; i-- > 0;) store_bit(bit_at(i));
  return *this;
}

CellBuilder& CellBuilder::store_bits(std::span<const uint8_t> data, unsigned bits) {
  if (data.size() * 8 < bits)
    throw CellOverflow("store_bits: " + std::to_string(bits) + " bits asked from " + std::to_string(data.size()) +
                       " bytes");
  append_bits(data, 0, bits);
  return *this;
}

CellBuilder& CellBuilder::store_bytes(std::span<const uint8_t> data) {
  if (data.size() > 128) throw CellOverflow("store_bytes: " + std::to_string(data.size()) + " bytes never fit a cell");
  append_bits(data, 0, static_cast<unsigned>(data.size() * 8));
  return *this;
}

CellBuilder& CellBuilder::store_string(std::string_view text) {
  return store_bytes(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

CellBuilder& CellBuilder::store_coins(uint64_t nano) {
  unsigned len = 0;
  for (uint64_t v = nano; v; v >>= 8) ++len;
  need(4 + len * 8, 0);
  store_uint(len, 4);
  for (unsigned i = len; i-- > 0;) store_uint((nano >> (8 * i)) & 0xFF, 8);
  return *this;
}

CellBuilder& CellBuilder::store_coins_be(std::span<const uint8_t> value) {
  size_t first = 0;
  while (first < value.size() && value[first] == 0) ++first;
  size_t len = value.size() - first;
  if (len > 15)
    throw CellOverflow("store_coins: amount of " + std::to_string(len) + " bytes exceeds VarUInteger 16 (15 bytes)");
  need(static_cast<unsigned>(4 + len * 8), 0);
  store_uint(len, 4);
  return store_bytes(value.subspan(first));
}

CellBuilder& CellBuilder::store_address(const Address& address) {
  if (address.workchain < -128 || address.workchain > 127)
    throw CellOverflow("store_address: workchain " + std::to_string(address.workchain) + " does not fit int8");
  need(267, 0);
  store_uint(0b100, 3);  // addr_std$10, anycast nothing$0
  store_int(address.workchain, 8);
  return store_bytes(address.hash);
}

CellBuilder& CellBuilder::store_address(const std::optional<Address>& address) {
  return address ? store_address(*address) : store_address_none();
}

CellBuilder& CellBuilder::store_address_none() { return store_uint(0, 2); }

CellBuilder& CellBuilder::store_ref(CellRef cell) {
  if (!cell) throw CellOverflow("store_ref: null cell");
  need(0, 1);
  refs_.push_back(std::move(cell));
  return *this;
}

CellBuilder& CellBuilder::store_maybe_ref(const CellRef& cell) {
  if (!cell) return store_bit(false);
  need(1, 1);
  store_bit(true);
  return store_ref(cell);
}

CellBuilder& CellBuilder::store_slice(const CellSlice& slice) {
  need(slice.remaining_bits(), slice.remaining_refs());
  append_bits(slice.cell_->data(), slice.bit_pos_, slice.remaining_bits());
  for (size_t i = slice.ref_pos_; i < slice.cell_->refs().size(); ++i) refs_.push_back(slice.cell_->refs()[i]);
  return *this;
}

CellBuilder& CellBuilder::store_builder(const CellBuilder& other) {
  need(other.bits_, other.refs());
  append_bits(std::span(other.data_), 0, other.bits_);
  refs_.insert(refs_.end(), other.refs_.begin(), other.refs_.end());
  return *this;
}

CellBuilder& CellBuilder::store_cell_contents(const CellRef& cell) { return store_slice(CellSlice(cell)); }

CellRef CellBuilder::end_cell() const { return Cell::make(std::span(data_, (bits_ + 7) / 8), bits_, refs_); }

// ---------------------------------------------------------------- CellSlice

CellSlice::CellSlice(CellRef cell) : cell_(std::move(cell)) {
  if (!cell_) throw CellUnderflow("slice of a null cell");
  bit_end_ = cell_->bit_size();
}

void CellSlice::need_bits(unsigned bits) const {
  if (bits > remaining_bits())
    throw CellUnderflow("cell slice underflow: need " + std::to_string(bits) + " bits, " +
                        std::to_string(remaining_bits()) + " left");
}

bool CellSlice::load_bit() {
  need_bits(1);
  return get_bit(cell_->data(), bit_pos_++);
}

uint64_t CellSlice::preload_uint(unsigned bits) const {
  if (bits > 64) throw CellUnderflow("load_uint: width " + std::to_string(bits) + " above 64 (use load_uint_be)");
  need_bits(bits);
  uint64_t v = 0;
  for (unsigned i = 0; i < bits; ++i) v = v << 1 | get_bit(cell_->data(), bit_pos_ + i);
  return v;
}

uint64_t CellSlice::load_uint(unsigned bits) {
  uint64_t v = preload_uint(bits);
  bit_pos_ += bits;
  return v;
}

int64_t CellSlice::load_int(unsigned bits) {
  if (bits == 0) throw CellUnderflow("load_int: width 0");
  uint64_t v = load_uint(bits);
  if (bits < 64 && (v >> (bits - 1)) & 1) v |= ~uint64_t{0} << bits;  // sign-extend
  return static_cast<int64_t>(v);
}

Bytes CellSlice::load_uint_be(unsigned bits) {
  if (bits > 257) throw CellUnderflow("load_uint_be: width " + std::to_string(bits) + " above 257");
  need_bits(bits);
  Bytes out((bits + 7) / 8, 0);
  for (unsigned i = 0; i < bits; ++i) {
    unsigned from_lsb = bits - 1 - i;
    if (get_bit(cell_->data(), bit_pos_ + i))
      out[out.size() - 1 - from_lsb / 8] |= static_cast<uint8_t>(1 << (from_lsb % 8));
  }
  bit_pos_ += bits;
  return out;
}

Hash256 CellSlice::load_uint256() {
  Bytes b = load_bits(256);
  Hash256 out{};
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

Bytes CellSlice::load_bits(unsigned bits) {
  need_bits(bits);
  Bytes out((bits + 7) / 8, 0);
  for (unsigned i = 0; i < bits; ++i)
    if (get_bit(cell_->data(), bit_pos_ + i)) out[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
  bit_pos_ += bits;
  return out;
}

Bytes CellSlice::load_bytes(size_t count) {
  if (count > 128) throw CellUnderflow("load_bytes: " + std::to_string(count) + " bytes never fit a cell");
  return load_bits(static_cast<unsigned>(count * 8));
}

void CellSlice::skip_bits(unsigned bits) {
  need_bits(bits);
  bit_pos_ += bits;
}

Bytes CellSlice::load_coins_be() {
  unsigned len = static_cast<unsigned>(load_uint(4));
  Bytes b = load_bytes(len);
  auto first = std::find_if(b.begin(), b.end(), [](uint8_t x) { return x != 0; });
  return Bytes(first, b.end());
}

uint64_t CellSlice::load_coins() {
  Bytes b = load_coins_be();
  if (b.size() > 8)
    throw CellUnderflow("load_coins: amount of " + std::to_string(b.size()) +
                        " bytes exceeds 64 bits (use load_coins_be)");
  uint64_t v = 0;
  for (uint8_t x : b) v = v << 8 | x;
  return v;
}

std::optional<Address> CellSlice::load_address_opt() {
  unsigned tag = static_cast<unsigned>(load_uint(2));
  if (tag == 0) return std::nullopt;
  if (tag == 1) throw CellUnderflow("load_address: addr_extern is not supported");
  if (tag == 3) throw CellUnderflow("load_address: addr_var is not supported");
  if (load_bit()) throw CellUnderflow("load_address: anycast addresses are not supported");
  Address a;
  a.workchain = static_cast<int32_t>(load_int(8));
  a.hash = load_uint256();
  return a;
}

Address CellSlice::load_address() {
  auto a = load_address_opt();
  if (!a) throw CellUnderflow("load_address: addr_none where an address is required");
  return *a;
}

CellRef CellSlice::load_ref() {
  if (remaining_refs() == 0) throw CellUnderflow("cell slice underflow: need a reference, none left");
  return cell_->refs()[ref_pos_++];
}

CellRef CellSlice::load_maybe_ref() { return load_bit() ? load_ref() : nullptr; }

void CellSlice::end_parse() const {
  if (!empty())
    throw CellUnderflow("cell slice not fully read: " + std::to_string(remaining_bits()) + " bits and " +
                        std::to_string(remaining_refs()) + " refs left");
}

}  // namespace chrysalis::ton
