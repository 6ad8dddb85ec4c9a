// The [billing] section: amounts are decimal TON, every error names the file and the key, and
// billing refuses to start without a chain to settle on or a wallet to pay from.
#include <gtest/gtest.h>

#include "billing/billing_hello.h"
#include "billing/billing_settings.h"
#include "common/toml_reader.h"
#include "ton/wallet/ed25519_key.h"

namespace chrysalis::billing {
namespace {

BillingSettings read(const std::string& text, const std::string& role, bool registry = true) {
  auto r = TomlReader::from_string(text, "node.toml");
  return read_billing_settings(r, "node.toml", role, registry);
}

std::string error_of(const std::string& text, const std::string& role, bool registry = true) {
  try {
    read(text, role, registry);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(BillingSettings, OffUnlessEnabled) {
  EXPECT_FALSE(read("", "proxy", false).enabled);
  EXPECT_FALSE(read("[billing]\nenabled = false\n", "client", false).enabled);
}

TEST(BillingSettings, ReadsEachRolesAmountsInTon) {
  auto p = read(
      "[billing]\nenabled = true\nwallet_key = \"p.json\"\nstake_ton = \"2.5\"\ncommit_interval_ms = 700\n"
      "charge_threshold_ton = \"0\"\n",
      "proxy");
  EXPECT_TRUE(p.enabled);
  EXPECT_EQ(p.wallet_key, "p.json");
  EXPECT_EQ(p.proxy_stake_nano, 2'500'000'000u);
  EXPECT_EQ(p.commit_interval_ms, 700);
  EXPECT_EQ(p.charge_threshold_nano, 0u);
  auto c =
      read("[billing]\nenabled = true\nwallet_key = \"c.json\"\ndeposit_ton = \"0.000000003\"\nauto_topup = false\n",
           "client");
  EXPECT_EQ(c.deposit_nano, 3u);
  EXPECT_FALSE(c.auto_topup);
  auto w = read("[billing]\nenabled = true\nwallet_key = \"w.json\"\nclaim_threshold_ton = \"1\"\nproxy_watch_s = 2\n",
                "worker");
  EXPECT_EQ(w.claim_threshold_nano, 1'000'000'000u);
  EXPECT_EQ(w.proxy_watch_s, 2);
  EXPECT_NE(
      error_of("[billing]\nenabled = true\nwallet_key = \"k\"\nproxy_watch_s = 0\n", "worker").find("proxy_watch_s"),
      std::string::npos);
}

TEST(BillingSettings, ErrorsNameTheFileAndKey) {
  EXPECT_NE(error_of("[billing]\nenabled = true\nwallet_key = \"k\"\n", "proxy", false).find("needs [registry]"),
            std::string::npos);
  EXPECT_NE(error_of("[billing]\nenabled = true\n", "client").find("billing.wallet_key"), std::string::npos);
  auto neg = error_of("[billing]\nenabled = true\nwallet_key = \"k\"\ndeposit_ton = \"-1\"\n", "client");
  EXPECT_NE(neg.find("node.toml"), std::string::npos) << neg;
  EXPECT_NE(neg.find("billing.deposit_ton"), std::string::npos) << neg;
  EXPECT_NE(neg.find("negative"), std::string::npos) << neg;
  EXPECT_NE(error_of("[billing]\nenabled = true\nwallet_key = \"k\"\nstake_ton = \"0\"\n", "proxy").find("zero"),
            std::string::npos);
  EXPECT_NE(error_of("[billing]\nenabled = true\nwallet_key = \"k\"\ncommit_interval_ms = 5\n", "proxy")
                .find("commit_interval_ms"),
            std::string::npos);
}

TEST(BillingHello, BindsTheProofToBothConnectionKeys) {
  auto wallet = ton::Ed25519Key::generate();
  auto client_tls = ton::Ed25519Key::generate().public_key(), proxy_tls = ton::Ed25519Key::generate().public_key();
  auto other = ton::Ed25519Key::generate().public_key();
  auto sig = wallet.sign(billing_hello_message(client_tls, proxy_tls));
  EXPECT_TRUE(ton::ed25519_verify(wallet.public_key(), billing_hello_message(client_tls, proxy_tls), sig));
  EXPECT_FALSE(ton::ed25519_verify(wallet.public_key(), billing_hello_message(other, proxy_tls), sig))
      << "another client";
  EXPECT_FALSE(ton::ed25519_verify(wallet.public_key(), billing_hello_message(client_tls, other), sig))
      << "another proxy";
  EXPECT_THROW(public_key_from_hex("abcd", "key"), std::invalid_argument);
  EXPECT_EQ(public_key_from_hex(std::string(64, 'a'), "key")[0], 0xaa);
}

}  // namespace
}  // namespace chrysalis::billing
