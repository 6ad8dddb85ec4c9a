#include "common/json_bounded.h"

#include <gtest/gtest.h>

namespace chrysalis {
namespace {

std::string nested(int levels) { return std::string(levels, '[') + std::string(levels, ']'); }

TEST(JsonBounded, CountsNestingOutsideStringsOnly) {
  EXPECT_EQ(json_nesting_depth(R"({"a":[1,{"b":[]}]})", 100), 4);
  EXPECT_EQ(json_nesting_depth(R"({"a":"[[[[\"[[[{{{"})", 100), 1);
  EXPECT_EQ(json_nesting_depth("42", 100), 0);
}

TEST(JsonBounded, StopsCountingPastTheLimit) { EXPECT_EQ(json_nesting_depth(nested(100000), 64), 65); }

TEST(JsonBounded, RefusesDeepNestingWithoutRecursing) {
  auto deep = parse_json_bounded("{\"x\":" + nested(100000) + "}");
  EXPECT_FALSE(deep.ok());
  EXPECT_NE(deep.error.find("deeper than 64 levels"), std::string::npos) << deep.error;
  auto fine = parse_json_bounded("{\"x\":" + nested(63) + "}");
  ASSERT_TRUE(fine.ok()) << fine.error;
  EXPECT_FALSE(fine.value.dump().empty());
}

TEST(JsonBounded, RefusesOversizedTextAndNamesSize) {
  auto big = parse_json_bounded(std::string(2000, ' ') + "1", {.max_bytes = 1000});
  EXPECT_FALSE(big.ok());
  EXPECT_NE(big.error.find("is 2001 bytes; the limit is 1000"), std::string::npos) << big.error;
}

TEST(JsonBounded, ANumberBeyondADoubleIsInvalidNotAnException) {
  auto huge = parse_json_bounded(R"({"a":1e400})");
  EXPECT_FALSE(huge.ok());
  EXPECT_NE(huge.error.find("out of range"), std::string::npos) << huge.error;
  EXPECT_TRUE(huge.value.is_discarded());
}

TEST(JsonBounded, ReportsWhereParsingFailed) {
  auto bad = parse_json_bounded(R"({"a":})");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.error.find("is not valid JSON (error at byte 6)"), std::string::npos) << bad.error;
}

}  // namespace
}  // namespace chrysalis
