// HPKE base mode against RFC 9180 Appendix A.2.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
// ChaCha20Poly1305), then the ways an open must fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/hex.h"
#include "crypto/hpke.h"

namespace chrysalis::crypto {
namespace {

std::string unhex(const std::string& hex) {
  auto bytes = from_hex(hex);
  return {bytes.begin(), bytes.end()};
}
std::string hex(const std::string& bytes) {
  return to_hex({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
}
std::string hex(const X25519Key& key) { return to_hex(key); }
X25519Key key_of(const std::string& hex_text) {
  X25519Key key{};
  auto bytes = from_hex(hex_text);
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return key;
}

// RFC 9180 A.2.1, mode 0, kem_id 32, kdf_id 1, aead_id 3, copied from the RFC's text.
namespace rfc {
const std::string kInfo = "4f6465206f6e2061204772656369616e2055726e";
const std::string kIkmE = "909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b";
const std::string kPkEm = "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a";
const std::string kSkEm = "f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600";
const std::string kIkmR = "1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df";
const std::string kPkRm = "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a";
const std::string kSkRm = "8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb";
const std::string kEnc = "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a";
const std::string kKey = "ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91";
const std::string kBaseNonce = "5c4d98150661b848853b547f";
const std::string kExporterSecret = "a3b010d4994890e2c6968a36f64470d3c824c8f5029942feb11e7a74b2921922";
const std::string kPt = "4265617574792069732074727574682c20747275746820626561757479";

struct Encryption {
  uint64_t sequence;
  std::string aad, ct;
};
const Encryption kEncryptions[] = {
    {0, "436f756e742d30", "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28"},
    {1, "436f756e742d31", "6b53c051e4199c518de79594e1c4ab18b96f081549d45ce015be002090bb119e85285337cc95ba5f59992dc98c"},
    {2, "436f756e742d32", "71146bd6795ccc9c49ce25dda112a48f202ad220559502cef1f34271e0cb4b02b4f10ecac6f48c32f878fae86b"},
    {4, "436f756e742d34", "63357a2aa291f5a4e5f27db6baa2af8cf77427c7c1a909e0b37214dd47db122bb153495ff0b02e9e54a50dbe16"},
    {255, "436f756e742d323535",
     "18ab939d63ddec9f6ac2b60d61d36a7375d2070c9b683861110757062c52b8880a5f6b3936da9cd6c23ef2a95c"},
    {256, "436f756e742d323536",
     "7a4a13e9ef23978e2c520fd4d2e757514ae160cd0cd05e556ef692370ca53076214c0c40d4c728d6ed9e727a5b"},
};

struct Export {
  std::string context, value;  // L is 32 for each
};
const Export kExports[] = {
    {"", "4bbd6243b8bb54cec311fac9df81841b6fd61f56538a775e7c80a9f40160606e"},
    {"00", "8c1df14732580e5501b00f82b10a1647b40713191b7c1240ac80e2b68808ba69"},
    {"54657374436f6e74657874", "5acb09211139c43b3090489a9da433e8a30ee7188ba8b0a9a1ccf0c229283e53"},
};
}  // namespace rfc

TEST(HpkeRfc9180, DeriveKeyPairGivesTheVectorKeys) {
  X25519KeyPair ephemeral = hpke_derive_key_pair(unhex(rfc::kIkmE));
  EXPECT_EQ(hex(ephemeral.private_key), rfc::kSkEm);
  EXPECT_EQ(hex(ephemeral.public_key), rfc::kPkEm);
  X25519KeyPair recipient = hpke_derive_key_pair(unhex(rfc::kIkmR));
  EXPECT_EQ(hex(recipient.private_key), rfc::kSkRm);
  EXPECT_EQ(hex(recipient.public_key), rfc::kPkRm);
  EXPECT_EQ(hex(X25519KeyPair::from_private(key_of(rfc::kSkRm)).public_key), rfc::kPkRm);
}

TEST(HpkeRfc9180, SenderAndRecipientReachTheVectorKeySchedule) {
  X25519KeyPair ephemeral = hpke_derive_key_pair(unhex(rfc::kIkmE));
  X25519KeyPair recipient = hpke_derive_key_pair(unhex(rfc::kIkmR));
  HpkeSenderSetup sender = hpke_setup_sender_with(ephemeral, recipient.public_key, unhex(rfc::kInfo));
  EXPECT_EQ(hex(sender.enc), rfc::kEnc);
  EXPECT_EQ(hex(sender.context.key()), rfc::kKey);
  EXPECT_EQ(hex(sender.context.base_nonce()), rfc::kBaseNonce);
  EXPECT_EQ(hex(sender.context.exporter_secret()), rfc::kExporterSecret);

  auto receiver = hpke_setup_recipient(recipient, sender.enc, unhex(rfc::kInfo));
  ASSERT_TRUE(receiver);
  EXPECT_EQ(hex(receiver->key()), rfc::kKey);
  EXPECT_EQ(hex(receiver->base_nonce()), rfc::kBaseNonce);
  EXPECT_EQ(hex(receiver->exporter_secret()), rfc::kExporterSecret);
}

// The vector lists sequence numbers 0, 1, 2, 4, 255, 256: the messages in between are sealed and
// opened too, so each listed one is sealed under its own sequence number.
TEST(HpkeRfc9180, EncryptionsMatchTheVectorAndOpen) {
  X25519KeyPair ephemeral = hpke_derive_key_pair(unhex(rfc::kIkmE));
  X25519KeyPair recipient = hpke_derive_key_pair(unhex(rfc::kIkmR));
  HpkeSenderSetup sender = hpke_setup_sender_with(ephemeral, recipient.public_key, unhex(rfc::kInfo));
  auto receiver = hpke_setup_recipient(recipient, sender.enc, unhex(rfc::kInfo));
  ASSERT_TRUE(receiver);

  const std::string pt = unhex(rfc::kPt);
  for (const auto& expected : rfc::kEncryptions) {
    while (sender.context.sequence() < expected.sequence) {
      std::string filler = sender.context.seal("", "");
      ASSERT_TRUE(receiver->open("", filler));
    }
    std::string ct = sender.context.seal(unhex(expected.aad), pt);
    EXPECT_EQ(hex(ct), expected.ct) << "sequence " << expected.sequence;
    auto opened = receiver->open(unhex(expected.aad), unhex(expected.ct));
    ASSERT_TRUE(opened) << "sequence " << expected.sequence;
    EXPECT_EQ(*opened, pt);
  }
}

TEST(HpkeRfc9180, ExportedValuesMatchTheVector) {
  X25519KeyPair recipient = hpke_derive_key_pair(unhex(rfc::kIkmR));
  auto receiver = hpke_setup_recipient(recipient, unhex(rfc::kEnc), unhex(rfc::kInfo));
  ASSERT_TRUE(receiver);
  for (const auto& expected : rfc::kExports)
    EXPECT_EQ(hex(receiver->export_secret(unhex(expected.context), 32)), expected.value) << expected.context;
}

TEST(Hpke, RoundTripWithFreshKeys) {
  X25519KeyPair recipient = X25519KeyPair::generate();
  HpkeSenderSetup sender = hpke_setup_sender(recipient.public_key, "info");
  auto receiver = hpke_setup_recipient(recipient, sender.enc, "info");
  ASSERT_TRUE(receiver);
  for (const std::string& message : std::vector<std::string>{"first", "", std::string(100000, 'x')}) {
    auto opened = receiver->open("aad", sender.context.seal("aad", message));
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, message);
  }
  EXPECT_EQ(sender.context.export_secret("ctx", 48), receiver->export_secret("ctx", 48));
  EXPECT_NE(sender.context.export_secret("ctx", 32), sender.context.export_secret("other", 32));
}

TEST(Hpke, FreshSetupsUseFreshEphemeralKeys) {
  X25519KeyPair recipient = X25519KeyPair::generate();
  EXPECT_NE(hpke_setup_sender(recipient.public_key, "i").enc, hpke_setup_sender(recipient.public_key, "i").enc);
}

struct SealedOnce {
  X25519KeyPair recipient = X25519KeyPair::generate();
  HpkeSenderSetup sender = hpke_setup_sender(recipient.public_key, "info");
  std::string ct = sender.context.seal("aad", "secret message");
  HpkeContext receiver() const { return *hpke_setup_recipient(recipient, sender.enc, "info"); }
};

TEST(Hpke, WrongAadDoesNotOpen) {
  SealedOnce s;
  HpkeContext receiver = s.receiver();
  EXPECT_FALSE(receiver.open("aae", s.ct));
  EXPECT_EQ(receiver.sequence(), 0u);  // a failed open leaves the sequence where it was
  EXPECT_TRUE(receiver.open("aad", s.ct));
}

TEST(Hpke, AlteredByteDoesNotOpen) {
  SealedOnce s;
  for (size_t i : {size_t{0}, s.ct.size() / 2, s.ct.size() - 1}) {
    std::string altered = s.ct;
    altered[i] ^= 0x01;
    EXPECT_FALSE(s.receiver().open("aad", altered)) << "byte " << i;
  }
  EXPECT_FALSE(s.receiver().open("aad", s.ct.substr(0, 15)));
}

TEST(Hpke, WrongRecipientKeyOrInfoDoesNotOpen) {
  SealedOnce s;
  auto other = hpke_setup_recipient(X25519KeyPair::generate(), s.sender.enc, "info");
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->open("aad", s.ct));
  auto other_info = hpke_setup_recipient(s.recipient, s.sender.enc, "infO");
  ASSERT_TRUE(other_info);
  EXPECT_FALSE(other_info->open("aad", s.ct));
}

TEST(Hpke, EncOfWrongLengthIsRejected) {
  SealedOnce s;
  EXPECT_FALSE(hpke_setup_recipient(s.recipient, s.sender.enc.substr(0, 31), "info"));
  EXPECT_FALSE(hpke_setup_recipient(s.recipient, s.sender.enc + "x", "info"));
  EXPECT_FALSE(hpke_setup_recipient(s.recipient, "", "info"));
}

// A small-order point gives an all-zero DH output, which both ends refuse.
TEST(Hpke, SmallOrderPublicKeyIsRefused) {
  X25519KeyPair recipient = X25519KeyPair::generate();
  EXPECT_FALSE(hpke_setup_recipient(recipient, std::string(32, '\0'), "info"));
  EXPECT_THROW(hpke_setup_sender(X25519Key{}, "info"), std::invalid_argument);
}

}  // namespace
}  // namespace chrysalis::crypto
