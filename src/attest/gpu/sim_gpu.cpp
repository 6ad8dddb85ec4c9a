#include "attest/gpu/sim_gpu.h"

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "attest/gpu/spdm_report.h"
#include "attest/quote/dev_ca.h"
#include "attest/quote/quote_crypto.h"
#include "common/file_io.h"
#include "crypto/x509_extension.h"

namespace chrysalis::attest::gpu {

namespace {

constexpr const char* kHopperDiceOid = "2.23.133.5.4.1";
constexpr const char* kTcbInfoOid = "2.23.133.5.4.1.1";
const Bytes kSha384Oid = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};

// One DER element (definite length).
Bytes der(uint8_t tag, const Bytes& content) {
  Bytes out{tag};
  std::size_t n = content.size();
  if (n < 0x80) {
    out.push_back(uint8_t(n));
  } else if (n < 0x100) {
    out.insert(out.end(), {0x81, uint8_t(n)});
  } else {
    out.insert(out.end(), {0x82, uint8_t(n >> 8), uint8_t(n)});
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes fwid_der(const Bytes& fwid) { return der(0x30, concat({kSha384Oid, der(0x04, fwid)})); }

Bytes public_key_der(EVP_PKEY* key) {
  int len = i2d_PUBKEY(key, nullptr);
  Bytes out(static_cast<std::size_t>(len));
  uint8_t* p = out.data();
  i2d_PUBKEY(key, &p);
  return out;
}

Bytes dice_extension(DiceLayout layout, EVP_PKEY* issuer_key, const Bytes& fwid) {
  if (layout == DiceLayout::Hopper)
    return der(0x30, concat({der(0x02, {0x01}), public_key_der(issuer_key), fwid_der(fwid)}));
  // TCG DiceTcbInfo: [0] vendor, [1] model, [6] fwids (implicit tags).
  Bytes vendor{'N', 'V', 'I', 'D', 'I', 'A'};
  Bytes model{'S', 'I', 'M'};
  return der(0x30, concat({der(0x80, vendor), der(0x81, model), der(0xA6, fwid_der(fwid))}));
}

Bytes derived(const std::string& label, std::size_t n) {
  Bytes out;
  for (uint8_t i = 0; out.size() < n; ++i) {
    std::string input = label + char(i);
    auto h = sha384(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(input.data()), input.size()));
    out.insert(out.end(), h.begin(), h.end());
  }
  out.resize(n);
  return out;
}

void tlv(Bytes& out, uint16_t type, const Bytes& value) {
  append_le16(out, type);
  append_le16(out, static_cast<uint16_t>(value.size()));
  append(out, value);
}

Bytes text_value(const std::string& s) {
  Bytes b(s.begin(), s.end());
  b.push_back(0);
  return b;
}

// "96.00.9F.00.04" -> the 8 little-endian bytes NVIDIA reports (low 32 bits 0x96009F00, then 0x04).
Bytes vbios_value(const std::string& version) {
  std::string digits;
  for (char c : version)
    if (c != '.') digits += c;
  Bytes b = from_hex(digits);
  if (b.size() != 5) throw std::invalid_argument("a VBIOS version is five pairs of hex digits: " + version);
  uint32_t low = (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
  Bytes out;
  append_le32(out, low);
  append_le32(out, b[4]);
  return out;
}

// Missing or unreadable files are named (common/file_io.h's read_file says only "empty").
std::string read_ca_file(const std::filesystem::path& path) {
  std::string text = read_file(path);
  if (text.empty()) throw std::runtime_error("simulated GPU CA: cannot read " + path.string());
  return text;
}

std::shared_ptr<EVP_PKEY> p384_key() {
  PkeyPtr key(EVP_EC_gen("P-384"));
  if (!key) throw std::runtime_error("P-384 key generation failed");
  return share(std::move(key));
}

}  // namespace

std::string SimGpuCa::root_pem() const { return certificate_pem(root_cert.get()); }

SimGpuCa create_sim_gpu_ca() {
  SimGpuCa ca;
  ca.root_key = p384_key();
  CertificateSpec spec{.common_name = "Chrysalis Simulated GPU Root CA", .is_ca = true};
  spec.not_after = std::chrono::system_clock::now() + std::chrono::hours(24 * 365 * 10);
  ca.root_cert = issue_certificate(spec, ca.root_key.get(), nullptr, nullptr);
  return ca;
}

void write_sim_gpu_ca(const SimGpuCa& ca, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  using P = std::filesystem::perms;
  write_file(dir / kSimGpuRootCertFile, ca.root_pem(), P::owner_read | P::owner_write | P::group_read | P::others_read);
  write_file(dir / kSimGpuRootKeyFile, private_key_pem(ca.root_key.get()), P::owner_read | P::owner_write);
}

SimGpuCa load_sim_gpu_ca(const std::filesystem::path& dir) {
  SimGpuCa ca;
  auto certs = load_pem_certificates(read_ca_file(dir / kSimGpuRootCertFile));
  if (certs.size() != 1) throw std::runtime_error("simulated GPU CA: " + (dir / kSimGpuRootCertFile).string() + " must hold one certificate");
  ca.root_cert = share(std::move(certs.front()));
  ca.root_key = share(load_private_key_pem(read_ca_file(dir / kSimGpuRootKeyFile)));
  return ca;
}

SimGpu::SimGpu(const SimGpuCa& ca, SimGpuSpec spec) : spec_(std::move(spec)), root_(ca.root_cert) {
  key_ = p384_key();
  uint8_t id[8];
  RAND_bytes(id, sizeof id);
  device_id_ = "SIM" + to_hex(std::span<const uint8_t>(id, sizeof id));
  fwid_ = derived("chrysalis-sim-gpu fwid " + spec_.chip + " " + spec_.vbios_version, 48);
  for (int i = 0; i < 64; ++i)
    measurements_.push_back(derived("chrysalis-sim-gpu measurement " + std::to_string(i) + " " + spec_.chip + " " +
                                        spec_.driver_version + " " + spec_.vbios_version,
                                    48));
  CertificateSpec leaf_spec{.common_name = spec_.chip + " SIM GSP FMC LF"};
  leaf_ = issue_certificate(leaf_spec, key_.get(), ca.root_cert.get(), ca.root_key.get());
  // Extensions NVIDIA's leaf carries; the certificate is re-signed after adding them.
  std::string name = "otherName:1.3.6.1.4.1.412.274.1;UTF8:NVIDIA:" + spec_.chip + ":" + device_id_;
  crypto::add_conf_extension(leaf_.get(), NID_subject_alt_name, name.c_str(), ca.root_cert.get());
  Bytes dice = dice_extension(spec_.dice, ca.root_key.get(), fwid_);
  crypto::add_octet_extension(leaf_.get(), spec_.dice == DiceLayout::Hopper ? kHopperDiceOid : kTcbInfoOid, dice, false);
  if (!X509_sign(leaf_.get(), ca.root_key.get(), EVP_sha384()))
    throw std::runtime_error("simulated GPU: cannot sign its attestation-key certificate");
}

std::string SimGpu::chain_pem() const { return certificate_pem(leaf_.get()) + certificate_pem(root_.get()); }

Bytes SimGpu::report(std::span<const uint8_t> nonce) const {
  if (nonce.size() != kSpdmNonceBytes) throw std::invalid_argument("a GPU report nonce is 32 bytes");
  Bytes out{0x11, 0xE0, 0x01, 0xFF};
  append(out, nonce);
  out.push_back(0);  // slot 0
  out.insert(out.end(), {0x11, 0x60, 0x00, 0x00});
  out.push_back(static_cast<uint8_t>(measurements_.size()));
  uint32_t record = static_cast<uint32_t>(measurements_.size() * 55);
  out.insert(out.end(), {uint8_t(record), uint8_t(record >> 8), uint8_t(record >> 16)});
  for (std::size_t i = 0; i < measurements_.size(); ++i) {
    out.insert(out.end(), {uint8_t(i + 1), 0x01, 51, 0, 0x01, 48, 0});
    append(out, measurements_[i]);
  }
  Bytes responder(kSpdmNonceBytes);
  RAND_bytes(responder.data(), static_cast<int>(responder.size()));
  append(out, responder);
  Bytes opaque_data;
  tlv(opaque_data, opaque::kVbiosVersion, vbios_value(spec_.vbios_version));
  tlv(opaque_data, opaque::kChipSku, text_value("882"));
  tlv(opaque_data, opaque::kProject, text_value("1010"));
  tlv(opaque_data, opaque::kProjectSku, text_value("0200"));
  tlv(opaque_data, opaque::kDriverVersion, text_value(spec_.driver_version));
  tlv(opaque_data, opaque::kNvdec0Status, {0x55});
  if (spec_.report_fwid) tlv(opaque_data, opaque::kFwid, spec_.reported_fwid.empty() ? fwid_ : spec_.reported_fwid);
  append_le16(out, static_cast<uint16_t>(opaque_data.size()));
  append(out, opaque_data);
  Bytes signature = sign_ecdsa_raw(key_.get(), EVP_sha384(), out, 48);
  append(out, signature);
  return out;
}

std::string make_sim_gpu_crl(const SimGpuCa& ca, const std::vector<X509*>& revoked,
                             std::chrono::system_clock::time_point this_update,
                             std::chrono::system_clock::time_point next_update) {
  auto seconds = [](std::chrono::system_clock::time_point t) {
    return static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
  };
  crypto::OsslPtr<X509_CRL, X509_CRL_free> crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.root_cert.get()));
  crypto::OsslPtr<ASN1_TIME, ASN1_TIME_free> last(ASN1_TIME_set(nullptr, seconds(this_update)));
  crypto::OsslPtr<ASN1_TIME, ASN1_TIME_free> next(ASN1_TIME_set(nullptr, seconds(next_update)));
  X509_CRL_set1_lastUpdate(crl.get(), last.get());
  X509_CRL_set1_nextUpdate(crl.get(), next.get());
  for (X509* cert : revoked) {
    X509_REVOKED* entry = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(cert));
    X509_REVOKED_set_revocationDate(entry, last.get());
    X509_CRL_add0_revoked(crl.get(), entry);
  }
  X509_CRL_sort(crl.get());
  if (X509_CRL_sign(crl.get(), ca.root_key.get(), EVP_sha384()) <= 0)
    throw std::runtime_error("simulated GPU CA: signing the CRL failed");
  crypto::OsslPtr<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_CRL(bio.get(), crl.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace chrysalis::attest::gpu
