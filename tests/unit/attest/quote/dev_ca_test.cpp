// The development CA on disk (0600 keys, round trip), the PCK-like SGX extension, and the JSON shape.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "attest/quote/dev_ca.h"
#include "attest/quote/quote_json.h"
#include "attest/quote/quote_testdata.h"
#include "attest/quote/quote_verifier.h"
#include "support/temp_dir.h"

namespace chrysalis::attest {
namespace {

TEST(AttestQuoteDevCa, WritesKeysPrivatelyAndLoadsBack) {
  const test::TempDir tmp{"devca"};
  const auto dir = tmp / "ca";
  DevCa ca = create_dev_ca();
  write_dev_ca(ca, dir);
  for (const char* key : {kDevRootKeyFile, kDevPckKeyFile, kDevAttestationKeyFile}) {
    struct stat st {};
    ASSERT_EQ(::stat((dir / key).c_str(), &st), 0) << key;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << key;
  }
  DevCa loaded = load_dev_ca(dir);
  EXPECT_EQ(X509_cmp(loaded.root_cert.get(), ca.root_cert.get()), 0);
  // A quote signed with the loaded material verifies under the root file, as `--trust dev:` does.
  Bytes q = build_tdx_quote_v4(default_td_body(), {}, loaded.signing_material());
  auto r =
      verify_quote(q, TrustAnchors::from_pem_file(dir / kDevRootCertFile), nullptr, std::chrono::system_clock::now());
  EXPECT_TRUE(r.verified) << r.reason_text;
  std::filesystem::remove(dir / kDevPckKeyFile);
  try {
    load_dev_ca(dir);
    FAIL() << "loaded without the PCK key";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(kDevPckKeyFile), std::string::npos) << e.what();
  }
}

TEST(AttestQuoteDevCa, SgxExtensionRoundTripsAndMatchesIntelsParsing) {
  SgxExtension ext = DevCaOptions::default_dev_pck_extension();
  ext.cpu_svn_components[15] = 200;
  ext.pce_svn = 4242;
  DevCaOptions opt;
  opt.pck_extension = ext;
  DevCa ca = create_dev_ca(opt);
  SgxExtension back = read_sgx_extension(ca.pck_cert.get());
  EXPECT_EQ(back.cpu_svn_components, ext.cpu_svn_components);
  EXPECT_EQ(back.pce_svn, 4242);
  EXPECT_EQ(back.fmspc, ext.fmspc);
  EXPECT_EQ(back.ppid, ext.ppid);
  // Intel's real PCK leaf through the same parser.
  auto r =
      verify_quote(testing::read_test_quote(testing::kQuoteV4), TrustAnchors::intel(), nullptr, testing::sample_now());
  ASSERT_TRUE(r.pck.has_value());
  EXPECT_EQ(to_hex(r.pck->fmspc), "b0c06f000000");
  EXPECT_EQ(r.pck->pce_svn, 11);
}

TEST(AttestQuoteDevCa, JsonHasTheRequiredKeys) {
  auto r =
      verify_quote(testing::read_test_quote(testing::kQuoteV5), TrustAnchors::intel(), nullptr, testing::sample_now());
  auto j = verification_to_json(r);
  for (const char* k : {"verified", "reason", "version", "image_hash", "mrtd", "rtmr", "td_attributes", "debug",
                        "report_data", "tcb_status", "mrconfigid", "mrowner", "mrownerconfig", "tee_tcb_svn", "mrseam"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["verified"], true);
  EXPECT_EQ(j["version"], 5);
  EXPECT_EQ(j["rtmr"].size(), 4u);
  EXPECT_EQ(j["debug"], false);
  EXPECT_TRUE(j.contains("mrservicetd"));
  auto bad = verification_to_json(verify_quote(Bytes{1, 2, 3}, TrustAnchors::intel(), nullptr, testing::sample_now()));
  EXPECT_EQ(bad["verified"], false);
  EXPECT_EQ(bad["reason"], "malformed");
  EXPECT_TRUE(bad.contains("mrtd"));
}

}  // namespace
}  // namespace chrysalis::attest
