#include "common/json_bounded.h"

namespace chrysalis {

int json_nesting_depth(std::string_view text, int stop_above) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
      if (deepest > stop_above) return deepest;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

namespace {

template <class Json>
BasicBoundedJson<Json> parse_bounded(std::string_view text, const JsonLimits& limits) {
  BasicBoundedJson<Json> out;
  if (text.size() > limits.max_bytes) {
    out.error = "is " + std::to_string(text.size()) + " bytes; the limit is " + std::to_string(limits.max_bytes);
    return out;
  }
  if (int depth = json_nesting_depth(text, limits.max_depth); depth > limits.max_depth) {
    out.error = "nests deeper than " + std::to_string(limits.max_depth) + " levels";
    return out;
  }
  try {
    out.value = Json::parse(text);
  } catch (const typename Json::parse_error& e) {
    out.error = "is not valid JSON (error at byte " + std::to_string(e.byte) + ")";
  } catch (const typename Json::exception&) {
    // A number beyond a double (1e400) is out_of_range to nlohmann, not a parse_error.
    out.error = "is not valid JSON (a number is out of range)";
  }
  if (!out.ok()) out.value = Json(Json::value_t::discarded);
  return out;
}

}  // namespace

BoundedJson parse_json_bounded(std::string_view text, const JsonLimits& limits) {
  return parse_bounded<nlohmann::json>(text, limits);
}

BasicBoundedJson<nlohmann::ordered_json> parse_ordered_json_bounded(std::string_view text, const JsonLimits& limits) {
  return parse_bounded<nlohmann::ordered_json>(text, limits);
}

}  // namespace chrysalis
