#include "attest/gpu/dice_fwid.h"

#include <openssl/objects.h>

#include <memory>
#include <span>
#include <stdexcept>
#include <string>

namespace chrysalis::attest::gpu {

namespace {

constexpr const char* kHopperOid = "2.23.133.5.4.1";
constexpr const char* kTcbInfoOid = "2.23.133.5.4.1.1";
constexpr uint8_t kSequence = 0x30, kInteger = 0x02, kOctetString = 0x04, kOid = 0x06, kFwidsTag = 0xA6;

// One DER element: its tag and contents. Only definite lengths up to 4 bytes; anything else throws.
struct Der {
  uint8_t tag = 0;
  std::span<const uint8_t> value;
};

class DerReader {
 public:
  DerReader(std::span<const uint8_t> bytes, const char* what) : bytes_(bytes), what_(what) {}
  bool done() const { return pos_ == bytes_.size(); }
  Der next() {
    if (bytes_.size() - pos_ < 2) fail("truncated element");
    Der d{bytes_[pos_++], {}};
    std::size_t len = bytes_[pos_++];
    if (len & 0x80) {
      std::size_t n = len & 0x7f;
      if (n == 0 || n > 4 || bytes_.size() - pos_ < n) fail("bad length");
      len = 0;
      for (std::size_t i = 0; i < n; ++i) len = (len << 8) | bytes_[pos_++];
    }
    if (len > bytes_.size() - pos_) fail("element longer than its container");
    d.value = bytes_.subspan(pos_, len);
    pos_ += len;
    return d;
  }
  Der expect(uint8_t tag, const char* name) {
    Der d = next();
    if (d.tag != tag) fail(std::string(name) + " has the wrong type");
    return d;
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error(std::string("DICE extension (") + what_ + "): " + why);
  }

 private:
  std::span<const uint8_t> bytes_;
  const char* what_;
  std::size_t pos_ = 0;
};

Bytes read_fwid(Der fwid, const char* what) {
  DerReader in(fwid.value, what);
  in.expect(kOid, "FWID hash algorithm");
  Der digest = in.expect(kOctetString, "FWID digest");
  if (!in.done()) in.fail("FWID has extra fields");
  return Bytes(digest.value.begin(), digest.value.end());
}

Bytes hopper_fwid(std::span<const uint8_t> der) {
  DerReader outer(der, "Hopper");
  DerReader in(outer.expect(kSequence, "extension").value, "Hopper");
  in.expect(kInteger, "version");
  in.expect(kSequence, "public key");
  Bytes fwid = read_fwid(in.expect(kSequence, "FWID"), "Hopper");
  if (!in.done()) in.fail("extra fields after the FWID");
  return fwid;
}

std::optional<Bytes> tcb_info_fwid(std::span<const uint8_t> der) {
  DerReader outer(der, "DiceTcbInfo");
  DerReader in(outer.expect(kSequence, "extension").value, "DiceTcbInfo");
  while (!in.done()) {
    Der field = in.next();
    if (field.tag != kFwidsTag) continue;
    DerReader fwids(field.value, "DiceTcbInfo");
    if (fwids.done()) return std::nullopt;
    return read_fwid(fwids.expect(kSequence, "FWID"), "DiceTcbInfo");
  }
  return std::nullopt;
}

std::optional<std::span<const uint8_t>> extension_value(X509* cert, const char* oid) {
  std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> obj(OBJ_txt2obj(oid, 1), ASN1_OBJECT_free);
  int at = X509_get_ext_by_OBJ(cert, obj.get(), -1);
  if (at < 0) return std::nullopt;
  ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert, at));
  return std::span<const uint8_t>(ASN1_STRING_get0_data(data), static_cast<std::size_t>(ASN1_STRING_length(data)));
}

}  // namespace

std::optional<Bytes> dice_fwid(X509* leaf) {
  if (auto v = extension_value(leaf, kTcbInfoOid)) return tcb_info_fwid(*v);
  if (auto v = extension_value(leaf, kHopperOid)) return hopper_fwid(*v);
  return std::nullopt;
}

}  // namespace chrysalis::attest::gpu
