#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "common/toml_reader.h"

namespace {

using chrysalis::TomlReader;

TEST(TomlReader, ReadsTypedValuesFromAString) {
  auto r = TomlReader::from_string("[a]\ns = \"x\"\nn = 7\nf = 0.5\nb = true\nl = [\"p\", \"q\"]\n", "t.toml");
  EXPECT_EQ(r.string("a.s", ""), "x");
  EXPECT_EQ(r.integer("a.n", 0, 1, 10), 7);
  EXPECT_EQ(r.number("a.f", 0), 0.5);
  EXPECT_TRUE(r.boolean("a.b", false));
  EXPECT_EQ(r.strings("a.l", {}), (std::vector<std::string>{"p", "q"}));
  EXPECT_EQ(r.string("a.missing", "fallback"), "fallback");
  EXPECT_THROW(r.integer("a.n", 0, 1, 5), std::runtime_error);
  EXPECT_THROW(r.string("a.n", ""), std::runtime_error);
}

// toml++ 3.3 (Debian 12) built header-only with clang trips its own assert on the first input and
// reaches TOML_UNREACHABLE on the second (marzer/tomlplusplus#294 and #295, fixed upstream); the
// shipped library reports both as parse errors, which is what a config typo must give.
TEST(TomlReader, InputsThatBreakToml33HeaderOnlyAreParseErrors) {
  for (std::string text : {"[&", "[[[1]]]", "\xc3\xa5", "a = 1 \xc2\xa7\n"})
    EXPECT_THROW(TomlReader::from_string(text, "t.toml"), std::runtime_error) << text;
}

}  // namespace
