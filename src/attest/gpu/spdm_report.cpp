#include "attest/gpu/spdm_report.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace chrysalis::attest::gpu {

namespace {

constexpr uint8_t kGetMeasurements = 0xE0;
constexpr uint8_t kMeasurements = 0x60;
constexpr uint8_t kDmtfSpecification = 0x01;

// A cursor that refuses to read past the end, naming the section it was reading.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  std::span<const uint8_t> take(std::size_t n, const char* section) {
    if (n > bytes_.size() - pos_)
      throw SpdmParseError(std::string(section) + ": needs " + std::to_string(n) + " bytes at offset " +
                           std::to_string(pos_) + ", " + std::to_string(bytes_.size() - pos_) + " left");
    auto out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  uint8_t u8(const char* section) { return take(1, section)[0]; }
  uint16_t u16(const char* section) { return load_le16(take(2, section).data()); }
  uint32_t u24(const char* section) {
    auto b = take(3, section);
    return uint32_t(b[0]) | (uint32_t(b[1]) << 8) | (uint32_t(b[2]) << 16);
  }
  template <std::size_t N>
  Fixed<N> fixed(const char* section) {
    auto b = take(N, section);
    Fixed<N> out{};
    std::copy(b.begin(), b.end(), out.begin());
    return out;
  }
  std::size_t pos() const { return pos_; }
  std::size_t left() const { return bytes_.size() - pos_; }

 private:
  std::span<const uint8_t> bytes_;
  std::size_t pos_ = 0;
};

std::string hex_byte(uint8_t b) {
  char out[3];
  std::snprintf(out, sizeof out, "%02X", b);
  return out;
}

// A NUL-terminated (or full-length) printable string.
std::string opaque_string(const Bytes& value, const char* name) {
  auto end = std::find(value.begin(), value.end(), uint8_t{0});
  std::string s(value.begin(), end);
  for (char c : s)
    if (!std::isprint(static_cast<unsigned char>(c)))
      throw SpdmParseError(std::string("opaque data: ") + name + " is not printable text");
  return s;
}

// 8 bytes, little-endian: the low 32 bits as 8 hex digits, then the low byte of the high 32 bits,
// split into pairs: 00 5e 00 96 01 00 00 00 -> 96.00.5E.00.01.
std::string vbios_version(const Bytes& value) {
  if (value.size() != 8)
    throw SpdmParseError("opaque data: VBIOS version is " + std::to_string(value.size()) + " bytes, not 8");
  uint64_t v = load_le64(value.data());
  uint32_t low = static_cast<uint32_t>(v);
  uint8_t high = static_cast<uint8_t>(v >> 32);
  std::string digits = hex_byte(uint8_t(low >> 24)) + hex_byte(uint8_t(low >> 16)) + hex_byte(uint8_t(low >> 8)) +
                       hex_byte(uint8_t(low)) + hex_byte(high);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    if (i) out += '.';
    out += digits.substr(i, 2);
  }
  return out;
}

void decode_opaque(SpdmReport& r) {
  for (const auto& f : r.opaque) {
    switch (f.type) {
      case opaque::kDriverVersion: r.driver_version = opaque_string(f.value, "driver version"); break;
      case opaque::kVbiosVersion: r.vbios_version = vbios_version(f.value); break;
      case opaque::kProject: r.project = opaque_string(f.value, "project"); break;
      case opaque::kProjectSku: r.project_sku = opaque_string(f.value, "project SKU"); break;
      case opaque::kChipSku: r.chip_sku = opaque_string(f.value, "chip SKU"); break;
      case opaque::kFwid: r.fwid = f.value; break;
      case opaque::kNvdec0Status:
        if (f.value.size() != 1) throw SpdmParseError("opaque data: NVDEC0 status is not 1 byte");
        r.nvdec0_status = f.value[0];
        break;
      default: break;
    }
  }
}

void read_measurements(Reader& in, SpdmReport& r) {
  uint8_t count = in.u8("number of measurement blocks");
  uint32_t record_length = in.u24("measurement record length");
  Reader record(in.take(record_length, "measurement record"));
  for (unsigned i = 0; i < count; ++i) {
    MeasurementBlock block;
    block.index = record.u8("measurement block index");
    if (record.u8("measurement block specification") != kDmtfSpecification)
      throw SpdmParseError("measurement block " + std::to_string(block.index) + ": not a DMTF measurement");
    uint16_t size = record.u16("measurement block size");
    Reader dmtf(record.take(size, "measurement block"));
    block.value_type = dmtf.u8("measurement value type");
    uint16_t value_size = dmtf.u16("measurement value size");
    auto value = dmtf.take(value_size, "measurement value");
    if (dmtf.left())
      throw SpdmParseError("measurement block " + std::to_string(block.index) + ": size " + std::to_string(size) +
                           " but its value fills " + std::to_string(3 + value_size));
    block.value.assign(value.begin(), value.end());
    if (r.find_block(block.index))
      throw SpdmParseError("measurement block index " + std::to_string(block.index) + " appears twice");
    r.blocks.push_back(std::move(block));
  }
  if (record.left())
    throw SpdmParseError("measurement record: " + std::to_string(count) + " blocks leave " +
                         std::to_string(record.left()) + " of " + std::to_string(record_length) + " bytes unused");
}

void read_opaque(Reader& in, SpdmReport& r) {
  uint16_t length = in.u16("opaque data length");
  Reader data(in.take(length, "opaque data"));
  while (data.left()) {
    OpaqueField f;
    f.type = data.u16("opaque field type");
    uint16_t size = data.u16("opaque field length");
    auto value = data.take(size, "opaque field value");
    f.value.assign(value.begin(), value.end());
    // One value per type: two driver versions could tell two verifiers two stories.
    if (r.find_opaque(f.type)) throw SpdmParseError("opaque data: field type " + std::to_string(f.type) + " twice");
    r.opaque.push_back(std::move(f));
  }
}

}  // namespace

const OpaqueField* SpdmReport::find_opaque(uint16_t type) const {
  for (const auto& f : opaque)
    if (f.type == type) return &f;
  return nullptr;
}

const MeasurementBlock* SpdmReport::find_block(uint8_t index) const {
  for (const auto& b : blocks)
    if (b.index == index) return &b;
  return nullptr;
}

std::string SpdmReport::vbios_rim_name() const {
  std::string version = vbios_version;
  version.erase(std::remove(version.begin(), version.end(), '.'), version.end());
  return project + "_" + project_sku + "_" + chip_sku + "_" + version;
}

SpdmReport parse_spdm_report(std::span<const uint8_t> bytes) {
  SpdmReport r;
  Reader in(bytes);
  uint8_t version = in.u8("request SPDM version");
  if (version != 0x11 && version != 0x12)
    throw SpdmParseError("request: SPDM version " + hex_byte(version) + " (expected 11 or 12)");
  if (in.u8("request code") != kGetMeasurements) throw SpdmParseError("request: not GET_MEASUREMENTS");
  uint8_t attributes = in.u8("request attributes");
  if (!(attributes & 0x01)) throw SpdmParseError("request: no signature was requested");
  if (in.u8("request operation") != 0xFF) throw SpdmParseError("request: not for all measurements");
  r.request_nonce = in.fixed<kSpdmNonceBytes>("request nonce");
  r.slot_id = in.u8("request slot id");
  if (in.u8("response SPDM version") != version) throw SpdmParseError("response: SPDM version differs from the request's");
  if (in.u8("response code") != kMeasurements) throw SpdmParseError("response: not MEASUREMENTS");
  in.take(2, "response parameters");
  read_measurements(in, r);
  r.responder_nonce = in.fixed<kSpdmNonceBytes>("responder nonce");
  read_opaque(in, r);
  r.signed_bytes = in.pos();
  if (in.left() != kSpdmSignatureBytes)
    throw SpdmParseError("signature: " + std::to_string(in.left()) + " bytes remain, a P-384 signature is " +
                         std::to_string(kSpdmSignatureBytes));
  r.signature = in.fixed<kSpdmSignatureBytes>("signature");
  decode_opaque(r);
  return r;
}

Bytes report_bytes_from_file_text(std::string_view text) {
  std::string hex;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return Bytes(text.begin(), text.end());
    hex += c;
  }
  if (hex.empty() || hex.size() % 2) return Bytes(text.begin(), text.end());
  return from_hex(hex);
}

}  // namespace chrysalis::attest::gpu
