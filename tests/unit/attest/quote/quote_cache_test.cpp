// The verification cache: hits by quote hash, bounded LRU, expiry of positive and negative entries.
#include <gtest/gtest.h>

#include "attest/quote/quote_cache.h"
#include "attest/quote/quote_testdata.h"

namespace chrysalis::attest {
namespace {

std::shared_ptr<const QuoteVerification> result(bool verified, std::chrono::system_clock::time_point until) {
  auto r = std::make_shared<QuoteVerification>();
  r->verified = verified;
  r->valid_until = until;
  return r;
}

Fixed<32> key(uint8_t n) {
  Fixed<32> k{};
  k[0] = n;
  return k;
}

TEST(AttestQuoteCache, LruEvictsTheOldest) {
  const auto now = std::chrono::system_clock::now();
  QuoteVerificationCache cache(2);
  cache.store(key(1), result(true, now + std::chrono::hours(1)), now);
  cache.store(key(2), result(true, now + std::chrono::hours(1)), now);
  ASSERT_NE(cache.find(key(1), now), nullptr);  // 1 is now the most recent
  cache.store(key(3), result(true, now + std::chrono::hours(1)), now);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.find(key(2), now), nullptr);
  EXPECT_NE(cache.find(key(1), now), nullptr);
  EXPECT_NE(cache.find(key(3), now), nullptr);
}

TEST(AttestQuoteCache, EntriesExpire) {
  const auto now = std::chrono::system_clock::now();
  QuoteVerificationCache cache(10, std::chrono::seconds(60));
  cache.store(key(1), result(true, now + std::chrono::seconds(10)), now);
  cache.store(key(2), result(false, {}), now);
  EXPECT_NE(cache.find(key(1), now + std::chrono::seconds(5)), nullptr);
  EXPECT_EQ(cache.find(key(1), now + std::chrono::seconds(10)), nullptr);
  EXPECT_NE(cache.find(key(2), now + std::chrono::seconds(59)), nullptr);
  EXPECT_EQ(cache.find(key(2), now + std::chrono::seconds(61)), nullptr);
}

TEST(AttestQuoteCache, CachingVerifierReusesTheResult) {
  CachingQuoteVerifier verifier(TrustAnchors::intel());
  auto quote = testing::read_test_quote(testing::kQuoteV4);
  bool cached = true;
  auto first = verifier.verify(quote, testing::sample_now(), &cached);
  EXPECT_FALSE(cached);
  ASSERT_TRUE(first->verified) << first->reason_text;
  auto second = verifier.verify(quote, testing::sample_now(), &cached);
  EXPECT_TRUE(cached);
  EXPECT_EQ(first.get(), second.get());
  // Past the PCK leaf's notAfter (2032) the cached entry is not reused.
  auto later = verifier.verify(quote, parse_rfc3339("2033-01-01T00:00:00Z"), &cached);
  EXPECT_FALSE(cached);
  EXPECT_FALSE(later->verified);
  EXPECT_EQ(verifier.cache().hits(), 1u);
}

}  // namespace
}  // namespace chrysalis::attest
