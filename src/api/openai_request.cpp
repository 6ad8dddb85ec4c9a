#include "api/openai_request.h"

#include "api/embedding_request.h"
#include "api/request_field_checks.h"
#include "api/tool_request.h"
#include "common/json_bounded.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

namespace chrysalis::api {
namespace {

using nlohmann::json;
using namespace checks;

constexpr std::size_t kMaxLogitBiasEntries = 1024;
// 10^15 nanoTON (a million TON) per 1,000 tokens: no real price is near it, and it stays exact in JSON.
constexpr int64_t kMaxPriceNano = 1'000'000'000'000'000;

// Fields whose nested key order the engine follows, forwarded as the app wrote them (they are
// checked, never rewritten, here).
const std::set<std::string, std::less<>> kInAppOrder = {"response_format", "tools"};

bool keeps_app_order(const json& body) {
  for (const auto& key : kInAppOrder)
    if (auto it = body.find(key); it != body.end() && (it->is_object() || (it->is_array() && !it->empty())))
      return true;
  return false;
}

void check_unsupported(json& body) {
  if (const json* value = field(body, "echo"); value && *value != false)
    refuse("echo", "the prompt is not echoed into the answer; the app already holds it");
  if (const json* value = field(body, "suffix"); value && *value != "")
    refuse("suffix", "fill-in-the-middle completion is not offered by the network's engines");
}

// n choices share one request: the budget every hop holds and bills by is max_tokens for each.
uint32_t settle_choices(const json& body, uint32_t max_tokens, const ValidationLimits& limits) {
  uint32_t n = 1;
  if (const json* value = field(body, "n")) n = static_cast<uint32_t>(check_integer_range(*value, "n", 1, kMaxChoices));
  if (const json* value = field(body, "best_of")) {
    auto best_of = check_integer_range(*value, "best_of", 1, kMaxChoices);
    if (best_of != n)
      refuse("best_of", "candidates beyond the n returned are not generated; leave best_of out or set it to n");
  }
  if (static_cast<uint64_t>(max_tokens) * n > limits.max_tokens_limit)
    reject("invalid_value",
           "'n' (" + std::to_string(n) + ") times max_tokens (" + std::to_string(max_tokens) + ") is " +
               std::to_string(static_cast<uint64_t>(max_tokens) * n) + " tokens; the limit for one request is " +
               std::to_string(limits.max_tokens_limit),
           "n");
  return n;
}

// OpenAI's limits: chat takes logprobs true/false and top_logprobs 0..20 (only with logprobs);
// completions take logprobs as the number of alternatives, 0..5.
void check_logprobs(const json& body, ApiKind kind) {
  const json* logprobs = field(body, "logprobs");
  if (kind == ApiKind::Completion) {
    if (logprobs) check_integer_range(*logprobs, "logprobs", 0, 5);
    if (field(body, "top_logprobs"))
      reject("invalid_value", "'top_logprobs' is a chat field; completions take 'logprobs': 0..5", "top_logprobs");
    return;
  }
  check_bool(body, "logprobs", "logprobs");
  if (const json* top = field(body, "top_logprobs")) {
    check_integer_range(*top, "top_logprobs", 0, 20);
    if (!logprobs || *logprobs != true)
      reject("invalid_value", "'top_logprobs' needs 'logprobs': true", "top_logprobs");
  }
}

void check_text_content(const json& content, const std::string& param) {
  if (content.is_string()) return;
  if (!content.is_array()) wrong_type(param, "a string or an array of text parts", content);
  for (std::size_t j = 0; j < content.size(); ++j) {
    const json& part = content[j];
    auto part_param = param + "[" + std::to_string(j) + "]";
    if (!part.is_object()) wrong_type(part_param, "an object", part);
    auto type = part.find("type");
    if (type == part.end() || !type->is_string())
      reject("missing_required_parameter", "'" + part_param + ".type' is required and must be a string",
             part_param + ".type");
    if (*type != "text")
      reject("unsupported_content_type",
             "'" + part_param + ".type' is " + shown(*type) + ": only text parts are supported", part_param + ".type");
    auto text = part.find("text");
    if (text == part.end() || !text->is_string())
      reject("invalid_type", "'" + part_param + ".text' must be a string", part_param + ".text");
  }
}

void check_messages(const json& body) {
  auto it = body.find("messages");
  if (it == body.end()) reject("missing_required_parameter", "'messages' is required", "messages");
  const json& messages = *it;
  if (!messages.is_array()) wrong_type("messages", "an array of messages", messages);
  if (messages.empty()) reject("invalid_value", "'messages' must contain at least one message", "messages");
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const json& message = messages[i];
    auto param = "messages[" + std::to_string(i) + "]";
    if (!message.is_object()) wrong_type(param, "an object", message);
    auto role = message.find("role");
    if (role == message.end())
      reject("missing_required_parameter", "'" + param + ".role' is required", param + ".role");
    if (!role->is_string()) wrong_type(param + ".role", "a string", *role);
    static const char* const kRoles[] = {"system", "user", "assistant", "tool", "developer"};
    bool known = false;
    for (const char* r : kRoles) known = known || *role == r;
    if (!known)
      reject("invalid_value",
             "'" + param + ".role' must be one of system, user, assistant, tool, developer; got " + shown(*role),
             param + ".role");
    // An assistant turn that called tools may have no content; a tool result names its call.
    const json* tool_calls = *role == "assistant" ? field(message, "tool_calls") : nullptr;
    if (tool_calls) check_tool_calls(*tool_calls, param + ".tool_calls");
    if (*role == "tool") {
      const json* id = field(message, "tool_call_id");
      if (!id || !id->is_string() || id->get_ref<const std::string&>().empty())
        reject("missing_required_parameter", "'" + param + ".tool_call_id' is required for a tool message",
               param + ".tool_call_id");
    }
    auto content = message.find("content");
    if (content == message.end() || content->is_null()) {
      if (tool_calls) continue;
      reject("missing_required_parameter", "'" + param + ".content' is required", param + ".content");
    }
    check_text_content(*content, param + ".content");
  }
}

void check_prompt(const json& body) {
  auto it = body.find("prompt");
  if (it == body.end() || it->is_null()) reject("missing_required_parameter", "'prompt' is required", "prompt");
  const json& prompt = *it;
  if (prompt.is_string()) return;
  if (!prompt.is_array()) wrong_type("prompt", "a string or an array of strings", prompt);
  if (prompt.empty()) reject("invalid_value", "'prompt' must not be an empty array", "prompt");
  for (const auto& item : prompt)
    if (!item.is_string()) wrong_type("prompt", "a string or an array of strings", item);
  if (prompt.size() > 1)
    refuse("prompt", "one prompt per request (an array of several prompts asks for a batch); send several requests");
}

void check_stop(const json& body) {
  const json* stop = field(body, "stop");
  if (!stop || stop->is_string()) return;
  if (!stop->is_array()) wrong_type("stop", "a string or an array of up to 4 strings", *stop);
  if (stop->size() > 4) reject("invalid_value", "'stop' may hold at most 4 sequences", "stop");
  for (const auto& item : *stop)
    if (!item.is_string()) wrong_type("stop", "a string or an array of up to 4 strings", item);
}

// logit_bias: {"token id": bias in [-100, 100]}; the engine checks the ids against its vocabulary.
void check_logit_bias(const json& body) {
  const json* bias = field(body, "logit_bias");
  if (!bias) return;
  if (!bias->is_object()) wrong_type("logit_bias", "an object mapping token ids to biases", *bias);
  if (bias->size() > kMaxLogitBiasEntries)
    reject("invalid_value",
           "'logit_bias' has " + std::to_string(bias->size()) + " entries; the limit is " +
               std::to_string(kMaxLogitBiasEntries),
           "logit_bias");
  for (const auto& [key, value] : bias->items()) {
    bool id = !key.empty() && key.size() <= 10 && key.find_first_not_of("0123456789") == std::string::npos &&
              (key == "0" || key[0] != '0');
    if (!id) reject("invalid_value", "'logit_bias' keys must be token ids, got " + shown(json(key)), "logit_bias");
    if (!value.is_number() || !(value.get<double>() >= -100 && value.get<double>() <= 100))
      reject("invalid_value", "'logit_bias[\"" + key + "\"]' must be a number from -100 to 100", "logit_bias");
  }
}

// response_format's shape; whether a schema's keywords can be enforced is the engine's call (a
// keyword it cannot enforce comes back as a 400 naming it).
void check_response_format(const json& body) {
  const json* format = field(body, "response_format");
  if (!format) return;
  if (!format->is_object()) wrong_type("response_format", "an object", *format);
  auto type = format->find("type");
  if (type == format->end() || !type->is_string())
    reject("missing_required_parameter", "'response_format.type' is required and must be a string",
           "response_format.type");
  if (*type == "text" || *type == "json_object") return;
  if (*type != "json_schema")
    reject("invalid_value", "'response_format.type' must be one of text, json_object, json_schema; got " + shown(*type),
           "response_format.type");
  auto spec = format->find("json_schema");
  if (spec == format->end() || !spec->is_object())
    reject("missing_required_parameter", "'response_format.json_schema' is required and must be an object",
           "response_format.json_schema");
  auto name = spec->find("name");
  if (name == spec->end() || !name->is_string() || name->get_ref<const std::string&>().empty())
    reject("missing_required_parameter", "'response_format.json_schema.name' is required and must be a string",
           "response_format.json_schema.name");
  if (auto schema = spec->find("schema"); schema != spec->end() && !schema->is_object() && !schema->is_boolean())
    wrong_type("response_format.json_schema.schema", "a JSON schema object", *schema);
}

uint32_t settle_max_tokens(json& body, const ValidationLimits& limits) {
  // Without max_tokens, n choices share the default so that they fit the limit together.
  uint32_t choices = 1;
  if (const json* value = field(body, "n"); value && as_integer(*value) && *as_integer(*value) > 1)
    choices = static_cast<uint32_t>(std::min<int64_t>(*as_integer(*value), kMaxChoices));
  std::optional<int64_t> chosen;
  // max_completion_tokens is the newer name; when both are given it wins, but both must be valid.
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    if (const json* value = field(body, key)) chosen = check_integer_range(*value, key, 1, limits.max_tokens_limit);
  }
  body.erase("max_completion_tokens");
  uint32_t max_tokens =
      chosen ? static_cast<uint32_t>(*chosen)
             : std::max<uint32_t>(1, std::min(limits.default_max_tokens, limits.max_tokens_limit / choices));
  body["max_tokens"] = max_tokens;
  return max_tokens;
}

void settle_streaming(json& body, ValidatedRequest& out) {
  check_bool(body, "stream", "stream");
  const json* stream = field(body, "stream");
  out.stream = stream && stream->get<bool>();
  json options = json::object();
  if (const json* given = field(body, "stream_options")) {
    if (!given->is_object()) wrong_type("stream_options", "an object", *given);
    check_bool(*given, "include_usage", "stream_options.include_usage");
    const json* include = field(*given, "include_usage");
    out.include_usage = out.stream && include && include->get<bool>();
    options = *given;
  }
  // The network always streams and always needs the usage report to bill.
  options["include_usage"] = true;
  body["stream"] = true;
  body["stream_options"] = std::move(options);
}

void take_extensions(json& body, ValidatedRequest& out, const ValidationLimits& limits) {
  if (const json* value = field(body, "max_coefficient"))
    out.max_coefficient = static_cast<uint32_t>(check_integer_range(*value, "max_coefficient", 0, 1000000000));
  body.erase("max_coefficient");
  // Price and deadline terms: the proxy picks the cheapest worker predicted to answer in time.
  if (const json* value = field(body, "max_price"))
    out.max_price = static_cast<uint64_t>(check_integer_range(*value, "max_price", 1, kMaxPriceNano));
  body.erase("max_price");
  if (const json* value = field(body, "ttft_deadline_ms"))
    out.ttft_deadline_ms = static_cast<uint32_t>(
        check_integer_range(*value, "ttft_deadline_ms", 1, static_cast<int64_t>(limits.max_timeout_s) * 1000));
  body.erase("ttft_deadline_ms");
  out.timeout_ms = std::min<uint32_t>(120, limits.max_timeout_s) * 1000;
  if (const json* value = field(body, "timeout")) {
    if (!value->is_number()) wrong_type("timeout", "a number of seconds", *value);
    double seconds = value->get<double>();
    if (!(seconds >= 1 && seconds <= limits.max_timeout_s))
      reject(
          "invalid_value",
          "'timeout' must be between 1 and " + std::to_string(limits.max_timeout_s) + " seconds, got " + shown(*value),
          "timeout");
    out.timeout_ms = static_cast<uint32_t>(std::llround(seconds * 1000));
  }
  body.erase("timeout");
}

ValidatedRequest validate(ApiKind kind, std::string_view text, const ValidationLimits& limits) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    reject("invalid_json", "request body is empty; expected a JSON object", "");
  auto parsed = parse_json_bounded(text);
  if (!parsed.ok()) reject("invalid_json", "request body " + parsed.error, "");
  json body = std::move(parsed.value);
  if (!body.is_object())
    reject("invalid_json", std::string("request body must be a JSON object, got ") + type_name(body), "");

  ValidatedRequest out;
  out.kind = kind;
  auto model = body.find("model");
  if (model == body.end() || model->is_null()) reject("missing_required_parameter", "'model' is required", "model");
  if (!model->is_string()) wrong_type("model", "a string", *model);
  out.model = model->get<std::string>();
  if (out.model.empty()) reject("invalid_value", "'model' must not be empty", "model");
  if (out.model.size() > 256) reject("invalid_value", "'model' is longer than 256 characters", "model");

  if (kind == ApiKind::Embedding) {
    settle_embedding_body(body, out);
    take_extensions(body, out, limits);
    out.body = std::move(body);
    return out;
  }
  if (kind == ApiKind::Chat)
    check_messages(body);
  else
    check_prompt(body);

  check_number_range(body, "temperature", 0, 2);
  check_number_range(body, "top_p", 0, 1);
  check_number_range(body, "presence_penalty", -2, 2);
  check_number_range(body, "frequency_penalty", -2, 2);
  if (const json* seed = field(body, "seed"); seed && !as_integer(*seed)) wrong_type("seed", "an integer", *seed);
  check_stop(body);
  check_logit_bias(body);
  check_response_format(body);
  check_logprobs(body, kind);
  check_tools(body, kind == ApiKind::Chat);
  check_unsupported(body);

  uint32_t per_choice = settle_max_tokens(body, limits);
  out.choices = settle_choices(body, per_choice, limits);
  out.max_tokens = per_choice * out.choices;
  settle_streaming(body, out);
  take_extensions(body, out, limits);
  out.body = std::move(body);
  if (keeps_app_order(out.body)) out.app_order = parse_ordered_json_bounded(text).value;
  return out;
}

}  // namespace

std::string forwarded_body(const ValidatedRequest& request) {
  if (!request.app_order || !request.app_order->is_object()) return request.body.dump();
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [key, value] : request.app_order->items()) {
    auto it = request.body.find(key);
    if (it == request.body.end()) continue;  // normalization took it out
    out[key] = kInAppOrder.contains(key) ? value : nlohmann::ordered_json(*it);
  }
  for (const auto& [key, value] : request.body.items())
    if (!out.contains(key)) out[key] = nlohmann::ordered_json(value);
  return out.dump();
}

std::optional<ApiKind> api_kind_for_path(std::string_view path) {
  if (path == "/v1/chat/completions") return ApiKind::Chat;
  if (path == "/v1/completions") return ApiKind::Completion;
  if (path == "/v1/embeddings") return ApiKind::Embedding;
  return std::nullopt;
}

std::variant<ValidatedRequest, ApiError> validate_openai_request(std::string_view path, std::string_view body,
                                                                 const ValidationLimits& limits) {
  auto kind = api_kind_for_path(path);
  if (!kind) return unknown_endpoint("POST", path);
  try {
    return validate(*kind, body, limits);
  } catch (Reject& r) {
    return std::move(r.error);
  }
}

}  // namespace chrysalis::api
