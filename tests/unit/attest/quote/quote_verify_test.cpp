// verify_quote on the real samples, with the pinned Intel root.
#include <gtest/gtest.h>

#include "attest/quote/intel_root_ca.h"
#include "attest/quote/quote_testdata.h"
#include "attest/quote/quote_verifier.h"

namespace chrysalis::attest {
namespace {

using testing::read_test_quote;
using testing::sample_now;

TEST(AttestQuoteVerify, PinnedIntelRootFingerprint) {
  EXPECT_EQ(to_hex(sha256(intel_sgx_root_ca_der())), kIntelSgxRootCaSha256);
  auto anchors = TrustAnchors::intel();
  ASSERT_EQ(anchors.roots().size(), 1u);
  EXPECT_TRUE(anchors.includes_intel());
  EXPECT_EQ(root_key_id_hex(anchors.roots()[0].get()),
            "46e403bd34f05a3f2817ab9badcaacc7ffc98e0f261008cd30dae936cace18d5dcf58eef31463613de1570d516200993");
}

TEST(AttestQuoteVerify, BothSamplesVerify) {
  for (const char* name : {testing::kQuoteV4, testing::kQuoteV5}) {
    auto r = verify_quote(read_test_quote(name), TrustAnchors::intel(), nullptr, sample_now());
    EXPECT_TRUE(r.verified) << name << ": " << r.reason << ": " << r.reason_text;
    EXPECT_EQ(r.tcb_status, "NotChecked");
    EXPECT_EQ(r.checks_not_done.size(), 4u);
    EXPECT_EQ(r.root_sha256, kIntelSgxRootCaSha256);
    ASSERT_TRUE(r.pck.has_value());
    ASSERT_TRUE(r.quote.has_value());
    EXPECT_EQ(to_hex(r.image_hash), to_hex(image_hash(r.quote->body)));
  }
}

}  // namespace
}  // namespace chrysalis::attest
