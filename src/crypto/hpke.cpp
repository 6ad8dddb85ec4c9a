#include "crypto/hpke.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string_view>

#include "crypto/chacha20_poly1305.h"
#include "crypto/cleanse.h"
#include "crypto/hkdf_sha256.h"

namespace chrysalis::crypto {
namespace {

// I2OSP(value, 2).
std::string two_bytes(uint16_t value) { return {static_cast<char>(value >> 8), static_cast<char>(value & 0xff)}; }

const uint16_t kKemId = 0x0020, kKdfId = 0x0001, kAeadId = 0x0003;
const std::string kKemSuiteId = "KEM" + two_bytes(kKemId);
const std::string kHpkeSuiteId = "HPKE" + two_bytes(kKemId) + two_bytes(kKdfId) + two_bytes(kAeadId);
const char kModeBase = 0x00;
constexpr size_t kNsecret = 32, kNk = kChaChaKeySize, kNn = kChaChaNonceSize, kNh = kSha256Size;

// LabeledExtract and LabeledExpand of RFC 9180 §4: every KDF call names its suite and purpose.
std::string labeled_extract(const std::string& suite_id, std::string_view salt, std::string_view label,
                            std::string_view ikm) {
  std::string labeled_ikm = "HPKE-v1" + suite_id;
  labeled_ikm.append(label).append(ikm);
  std::string prk = hkdf_sha256_extract(salt, labeled_ikm);
  cleanse(labeled_ikm);
  return prk;
}

std::string labeled_expand(const std::string& suite_id, std::string_view prk, std::string_view label,
                           std::string_view info, size_t length) {
  if (length > std::numeric_limits<uint16_t>::max()) throw std::invalid_argument("HPKE expand length too large");
  std::string labeled_info = two_bytes(static_cast<uint16_t>(length)) + "HPKE-v1" + suite_id;
  labeled_info.append(label).append(info);
  return hkdf_sha256_expand(prk, labeled_info, length);
}

std::string as_string(const X25519Key& key) { return {key.begin(), key.end()}; }

// ExtractAndExpand of DHKEM (§4.1), with kem_context = enc || pkRm.
std::string dhkem_shared_secret(X25519Key& dh, const X25519Key& enc, const X25519Key& recipient_public) {
  std::string dh_bytes = as_string(dh);
  cleanse(dh);
  std::string eae_prk = labeled_extract(kKemSuiteId, "", "eae_prk", dh_bytes);
  cleanse(dh_bytes);
  std::string shared =
      labeled_expand(kKemSuiteId, eae_prk, "shared_secret", as_string(enc) + as_string(recipient_public), kNsecret);
  cleanse(eae_prk);
  return shared;
}

// KeySchedule of §5.1 for mode_base (empty psk and psk_id).
HpkeContext key_schedule(std::string& shared_secret, const std::string& info) {
  std::string psk_id_hash = labeled_extract(kHpkeSuiteId, "", "psk_id_hash", "");
  std::string info_hash = labeled_extract(kHpkeSuiteId, "", "info_hash", info);
  std::string context = std::string(1, kModeBase) + psk_id_hash + info_hash;
  std::string secret = labeled_extract(kHpkeSuiteId, shared_secret, "secret", "");
  cleanse(shared_secret);
  HpkeContext result(labeled_expand(kHpkeSuiteId, secret, "key", context, kNk),
                     labeled_expand(kHpkeSuiteId, secret, "base_nonce", context, kNn),
                     labeled_expand(kHpkeSuiteId, secret, "exp", context, kNh));
  cleanse(secret);
  return result;
}

}  // namespace

X25519KeyPair hpke_derive_key_pair(const std::string& ikm) {
  std::string dkp_prk = labeled_extract(kKemSuiteId, "", "dkp_prk", ikm);
  std::string sk = labeled_expand(kKemSuiteId, dkp_prk, "sk", "", 32);
  cleanse(dkp_prk);
  X25519Key private_key{};
  std::copy(sk.begin(), sk.end(), private_key.begin());
  cleanse(sk);
  X25519KeyPair pair = X25519KeyPair::from_private(private_key);
  cleanse(private_key);
  return pair;
}

HpkeContext::HpkeContext(std::string key, std::string base_nonce, std::string exporter_secret)
    : key_(std::move(key)), base_nonce_(std::move(base_nonce)), exporter_secret_(std::move(exporter_secret)) {}

HpkeContext::~HpkeContext() {
  cleanse(key_);
  cleanse(exporter_secret_);
}

std::string HpkeContext::next_nonce() const {
  // The sequence may not wrap: a repeated nonce would reveal plaintexts (MessageLimitReachedError).
  if (sequence_ == std::numeric_limits<uint64_t>::max()) throw std::overflow_error("HPKE message limit reached");
  return nonce_for_sequence(base_nonce_, sequence_);
}

std::string HpkeContext::seal(const std::string& aad, const std::string& plaintext) {
  std::string ct = chacha20_poly1305_seal(key_, next_nonce(), aad, plaintext);
  ++sequence_;
  return ct;
}

std::optional<std::string> HpkeContext::open(const std::string& aad, const std::string& ciphertext) {
  auto pt = chacha20_poly1305_open(key_, next_nonce(), aad, ciphertext);
  if (pt) ++sequence_;
  return pt;
}

std::string HpkeContext::export_secret(const std::string& exporter_context, size_t length) const {
  if (length > 255 * kNh) throw std::invalid_argument("HPKE export length exceeds 255 * Nh");
  return labeled_expand(kHpkeSuiteId, exporter_secret_, "sec", exporter_context, length);
}

HpkeSenderSetup hpke_setup_sender(const X25519Key& recipient_public, const std::string& info) {
  X25519KeyPair ephemeral = X25519KeyPair::generate();
  HpkeSenderSetup setup = hpke_setup_sender_with(ephemeral, recipient_public, info);
  cleanse(ephemeral.private_key);
  return setup;
}

HpkeSenderSetup hpke_setup_sender_with(const X25519KeyPair& ephemeral, const X25519Key& recipient_public,
                                       const std::string& info) {
  auto dh = x25519_shared_secret(ephemeral.private_key, recipient_public);
  if (!dh) throw std::invalid_argument("HPKE recipient public key is a small-order point");
  std::string shared = dhkem_shared_secret(*dh, ephemeral.public_key, recipient_public);
  return {as_string(ephemeral.public_key), key_schedule(shared, info)};
}

std::optional<HpkeContext> hpke_setup_recipient(const X25519KeyPair& recipient, const std::string& enc,
                                                const std::string& info) {
  if (enc.size() != 32) return std::nullopt;
  X25519Key ephemeral_public{};
  std::copy(enc.begin(), enc.end(), ephemeral_public.begin());
  auto dh = x25519_shared_secret(recipient.private_key, ephemeral_public);
  if (!dh) return std::nullopt;
  std::string shared = dhkem_shared_secret(*dh, ephemeral_public, recipient.public_key);
  return key_schedule(shared, info);
}

}  // namespace chrysalis::crypto
