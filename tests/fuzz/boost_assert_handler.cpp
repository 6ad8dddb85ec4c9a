// Boost's assertions under the fuzzer (BOOST_ENABLE_ASSERT_HANDLER, fuzz_targets.cmake): every one
// aborts, as assert() would, except the chunk-header assertions of Boost 1.74's Beast parser
// (basic_parser.ipp parse_chunk_header), which fire on valid streaming states: a chunked body fed
// in pieces re-enters the header parse with fewer bytes than the assertion expects, and the code
// after it then asks for more data correctly (boostorg/beast#2861 corrected them in 2024). The
// nodes are built with NDEBUG, so they never evaluate them; ASan still watches the memory.
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace boost {

namespace {
bool spurious(const char* function, const char* file) {
  return std::strstr(file, "beast/http/impl/basic_parser.ipp") && std::strstr(function, "parse_chunk_header");
}
}  // namespace

void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  if (spurious(function, file)) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed.\n", file, line, function, expr);
  std::abort();
}

void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file, long line) {
  if (spurious(function, file)) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed: %s\n", file, line, function, expr, msg);
  std::abort();
}

}  // namespace boost
