#pragma once
// JSON from a peer, parsed only within limits. nlohmann's parser is iterative, but dump(), copies
// and comparisons recurse once per nesting level: a body nested 100,000 levels deep crashes any
// node that re-serializes it. Every hop that parses bytes from a peer goes through here.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace chrysalis {

struct JsonLimits {
  std::size_t max_bytes = 16 << 20;
  int max_depth = 64;  // OpenAI tool schemas nest a few levels; nothing legitimate comes near 64
};

// How deeply `text` nests objects and arrays, counted from its brackets outside strings, without
// parsing. Stops counting once past `stop_above`.
int json_nesting_depth(std::string_view text, int stop_above);

template <class Json>
struct BasicBoundedJson {
  Json value{Json::value_t::discarded};  // is_discarded() unless ok()
  std::string error;  // reads after "request body ": "nests deeper than 64 levels", "is not valid JSON (…)"
  bool ok() const { return error.empty(); }
};
using BoundedJson = BasicBoundedJson<nlohmann::json>;

// Parses `text` when it is within `limits`; never throws.
BoundedJson parse_json_bounded(std::string_view text, const JsonLimits& limits = {});

// The same, keeping object keys in the order the text has them: for bodies a hop forwards, where
// the order means something to the engine (a JSON schema's properties are generated in order).
BasicBoundedJson<nlohmann::ordered_json> parse_ordered_json_bounded(std::string_view text, const JsonLimits& limits = {});

}  // namespace chrysalis
