// Sealed node keys: AES-256-GCM under a per-image key, and what a node does with key files it
// finds on disk (a planted plaintext key, a sealed key from another image or node).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "attest/keys/sealing.h"
#include "attest/ra_tls/ra_tls_identity.h"
#include "support/temp_dir.h"

namespace chrysalis::attest {
namespace {

namespace fs = std::filesystem;

SealingKey key_of(uint8_t fill) {
  SealingKey k{};
  k.fill(fill);
  return k;
}

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

RaTlsIdentityOptions sealed_options(const fs::path& dir, const SealingKey& key) {
  RaTlsIdentityOptions o{"proxy", "p1", "", 6, dir};
  o.storage = KeyStorage::Sealed;
  o.sealing_key = key;
  return o;
}

TEST(Sealing, RoundTripsOnlyUnderTheSameKeyAndContext) {
  auto blob = seal("secret pem", key_of(1), "ctx");
  EXPECT_EQ(unseal(blob, key_of(1), "ctx"), "secret pem");
  EXPECT_EQ(unseal(blob, key_of(2), "ctx"), std::nullopt);
  EXPECT_EQ(unseal(blob, key_of(1), "other"), std::nullopt);
  auto altered = blob;
  altered[altered.size() / 2] ^= 1;
  EXPECT_EQ(unseal(altered, key_of(1), "ctx"), std::nullopt);
  EXPECT_EQ(unseal("short", key_of(1), "ctx"), std::nullopt);
  EXPECT_EQ(blob.find("secret"), std::string::npos);
  EXPECT_NE(seal("secret pem", key_of(1), "ctx"), blob);  // a fresh nonce each time
}

TEST(Sealing, EachImageAndRoleGetsItsOwnKey) {
  auto master = key_of(7);
  auto a = derive_sealing_key(master, "proxy", std::string(64, 'a'));
  EXPECT_EQ(a, derive_sealing_key(master, "proxy", std::string(64, 'a')));
  EXPECT_NE(a, derive_sealing_key(master, "proxy", std::string(64, 'b')));
  EXPECT_NE(a, derive_sealing_key(master, "worker", std::string(64, 'a')));
  EXPECT_NE(a, derive_sealing_key(key_of(8), "proxy", std::string(64, 'a')));
}

TEST(SealedNodeKey, IsWrittenSealedAndKeepsTheIdentityAcrossRestarts) {
  test::TempDir dir{"sealed"};
  auto first = RaTlsIdentity(std::make_shared<NoEvidence>(), sealed_options(dir.path(), key_of(3))).issue();
  EXPECT_FALSE(fs::exists(dir / "key.pem"));
  ASSERT_TRUE(fs::exists(dir / "key.sealed"));
  EXPECT_EQ(read_all(dir / "key.sealed").find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ((fs::status(dir / "key.sealed").permissions() & fs::perms::all),
            fs::perms::owner_read | fs::perms::owner_write);
  auto again = RaTlsIdentity(std::make_shared<NoEvidence>(), sealed_options(dir.path(), key_of(3))).issue();
  EXPECT_EQ(first.public_key_hex, again.public_key_hex);
}

TEST(SealedNodeKey, ASealedKeyFromAnotherImageIsRefused) {
  test::TempDir dir{"sealed"};
  RaTlsIdentity(std::make_shared<NoEvidence>(), sealed_options(dir.path(), key_of(3))).issue();
  try {
    RaTlsIdentity(std::make_shared<NoEvidence>(), sealed_options(dir.path(), key_of(4)));
    FAIL() << "a key sealed for another image was loaded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("was not sealed for this node"), std::string::npos) << e.what();
  }
}

TEST(SealedNodeKey, APlantedPlaintextKeyIsRefusedByTeeNodes) {
  test::TempDir dir{"planted"};
  // The host writes its own key where an older version kept the node's key.
  RaTlsIdentity(std::make_shared<NoEvidence>(), RaTlsIdentityOptions{"client", "c", "", 6, dir.path()});
  ASSERT_TRUE(fs::exists(dir / "key.pem"));
  for (auto storage : {KeyStorage::Sealed, KeyStorage::Ephemeral}) {
    auto o = sealed_options(dir.path(), key_of(3));
    o.storage = storage;
    try {
      RaTlsIdentity(std::make_shared<NoEvidence>(), o);
      FAIL() << "a planted key.pem was accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("plaintext key"), std::string::npos) << e.what();
    }
  }
}

TEST(SealedNodeKey, AnEphemeralKeyTouchesNoDisk) {
  test::TempDir dir{"ephemeral"};
  auto o = sealed_options(dir.path(), key_of(3));
  o.storage = KeyStorage::Ephemeral;
  auto a = RaTlsIdentity(std::make_shared<NoEvidence>(), o).issue();
  auto b = RaTlsIdentity(std::make_shared<NoEvidence>(), o).issue();
  EXPECT_NE(a.public_key_hex, b.public_key_hex);
  EXPECT_FALSE(fs::exists(dir / "key.pem"));
  EXPECT_FALSE(fs::exists(dir / "key.sealed"));
}

}  // namespace
}  // namespace chrysalis::attest
