#include "api/embedding_request.h"

#include <limits>

#include "api/request_field_checks.h"

namespace chrysalis::api {
namespace {

using nlohmann::json;
using namespace checks;

bool is_token_list(const json& value) {
  if (!value.is_array() || value.empty()) return false;
  for (const auto& t : value) {
    auto id = as_integer(t);
    if (!id || *id < 0 || *id > std::numeric_limits<int32_t>::max()) return false;
  }
  return true;
}

// The number of inputs in `input`, or a 400 naming what is wrong with it.
std::size_t count_inputs(const json& input) {
  const char* shapes = "a string, an array of strings, an array of token ids or an array of such arrays";
  if (input.is_string()) {
    if (input.get_ref<const std::string&>().empty()) reject("invalid_value", "'input' must not be empty", "input");
    return 1;
  }
  if (!input.is_array()) wrong_type("input", shapes, input);
  if (input.empty()) reject("invalid_value", "'input' must hold at least one item", "input");
  if (input.size() > kMaxEmbeddingInputs)
    reject(
        "invalid_value",
        "'input' holds " + std::to_string(input.size()) + " items; the limit is " + std::to_string(kMaxEmbeddingInputs),
        "input");
  if (is_token_list(input)) return 1;
  if (input.front().is_number())
    reject("invalid_value", "'input' as token ids must hold integers 0 to 2^31-1", "input");
  const bool strings = input.front().is_string();
  for (std::size_t i = 0; i < input.size(); ++i) {
    const json& item = input[i];
    std::string param = "input[" + std::to_string(i) + "]";
    if (strings && item.is_string()) {
      if (item.get_ref<const std::string&>().empty()) reject("invalid_value", "'" + param + "' is empty", param);
    } else if (!strings && item.is_array()) {
      if (!is_token_list(item))
        reject("invalid_value", "'" + param + "' must be a non-empty array of token ids (integers 0 to 2^31-1)", param);
    } else {
      wrong_type(param, strings ? "a string, like the items before it" : "an array of token ids", item);
    }
  }
  return input.size();
}

}  // namespace

void settle_embedding_body(json& body, ValidatedRequest& out) {
  const json* input = field(body, "input");
  if (!input) reject("missing_required_parameter", "'input' is required", "input");
  out.inputs = static_cast<uint32_t>(count_inputs(*input));
  if (const json* format = field(body, "encoding_format")) {
    if (*format != "float" && *format != "base64")
      reject("invalid_value", "'encoding_format' must be \"float\" or \"base64\", got " + shown(*format),
             "encoding_format");
    out.base64 = *format == "base64";
  }
  if (const json* dimensions = field(body, "dimensions"))
    out.dimensions = static_cast<uint32_t>(check_integer_range(*dimensions, "dimensions", 1, 65536));
  if (const json* user = field(body, "user"); user && !user->is_string()) wrong_type("user", "a string", *user);
  // Nothing is generated: no completion budget, and the answer is one object (a stream flag
  // would only confuse an engine).
  body.erase("stream");
  body.erase("stream_options");
  out.max_tokens = 0;
  out.choices = 1;
  out.stream = false;
}

}  // namespace chrysalis::api
