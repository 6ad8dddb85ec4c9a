#include <gtest/gtest.h>

#include "api/openai_error.h"

namespace {

using namespace chrysalis::api;

TEST(OpenAiError, JsonShape) {
  auto error = invalid_request("invalid_value", "'top_p' must be between 0 and 1, got 3", "top_p");
  auto j = error.to_json();
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(j["error"]["message"], "'top_p' must be between 0 and 1, got 3");
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["code"], "invalid_value");
  EXPECT_EQ(j["error"]["param"], "top_p");
  EXPECT_EQ(j.size(), 1u);
  EXPECT_TRUE(internal_error().to_json()["error"]["param"].is_null());
}

TEST(OpenAiError, StatusAndTypeOfEachHelper) {
  struct Case {
    ApiError error;
    int status;
    const char* type;
    const char* code;
  } cases[] = {
      {unknown_endpoint("POST", "/v2/x"), 404, "invalid_request_error", "unknown_endpoint"},
      {payload_too_large(1024), 413, "invalid_request_error", "payload_too_large"},
      {invalid_api_key(), 401, "invalid_request_error", "invalid_api_key"},
      {insufficient_balance("client balance is too low"), 402, "insufficient_quota", "insufficient_balance"},
      {rate_limited("too many requests"), 429, "rate_limit_error", "rate_limit_exceeded"},
      {internal_error(), 500, "server_error", "internal_error"},
      {bad_gateway("worker", "engine closed the stream"), 502, "upstream_error", "bad_gateway"},
      {service_unavailable("proxy", "no ready workers"), 503, "upstream_error", "service_unavailable"},
      {gateway_timeout("proxy", "no answer within 120 s"), 504, "upstream_error", "gateway_timeout"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.code);
    EXPECT_EQ(c.error.status, c.status);
    EXPECT_EQ(c.error.type, c.type);
    EXPECT_EQ(c.error.code, c.code);
    EXPECT_FALSE(c.error.message.empty());
  }
  EXPECT_EQ(bad_gateway("worker", "engine closed the stream").message, "worker: engine closed the stream");
  EXPECT_NE(payload_too_large(1024).message.find("1024"), std::string::npos);
}

TEST(OpenAiError, SseEventCarriesTheSameObject) {
  auto error = gateway_timeout("worker", "engine stalled");
  auto event = error.sse_event();
  ASSERT_EQ(event.rfind("data: ", 0), 0u);
  ASSERT_EQ(event.substr(event.size() - 2), "\n\n");
  EXPECT_EQ(nlohmann::json::parse(event.substr(6)), error.to_json());
}

TEST(OpenAiError, BodyOfAMessageThatIsNotUtf8CanStillBeSent) {
  // A raw request target may hold any byte; the 404 quotes it (found by tests/fuzz/http_request_fuzz).
  auto error = unknown_endpoint("GET", "/v1/\xe6x\xff");
  std::string body;
  ASSERT_NO_THROW(body = error.body());
  auto message = nlohmann::json::parse(body)["error"]["message"].get<std::string>();
  EXPECT_NE(message.find("/v1/\xef\xbf\xbdx\xef\xbf\xbd"), std::string::npos) << message;  // U+FFFD each
  EXPECT_NO_THROW(error.sse_event());
}

}  // namespace
