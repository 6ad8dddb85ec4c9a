// What the proxy and the worker check on an InferenceRequest a peer sent, on their own.
#include "api/inference_request_check.h"

#include <gtest/gtest.h>

namespace chrysalis::api {
namespace {

proto::InferenceRequest good_request() {
  proto::InferenceRequest r;
  r.set_request_id("req-1");
  r.set_path("/v1/chat/completions");
  r.set_body(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
  r.set_max_tokens(16);
  return r;
}

std::string refused_code(const proto::InferenceRequest& r, const InferenceRequestBounds& bounds = {}) {
  nlohmann::json body;
  auto refusal = check_inference_request(r, bounds, body);
  return refusal ? refusal->code + ": " + refusal->message : "";
}

TEST(InferenceRequestCheck, AGoodRequestPassesWithItsBodyParsed) {
  nlohmann::json body;
  EXPECT_FALSE(check_inference_request(good_request(), {}, body));
  EXPECT_EQ(body["model"], "m");
}

TEST(InferenceRequestCheck, ZeroOrExcessiveMaxTokensIsRefused) {
  auto r = good_request();
  r.set_max_tokens(0);
  EXPECT_EQ(refused_code(r).rfind("invalid_max_tokens: 'max_tokens' must be between 1 and 32768, got 0", 0), 0u);
  r.set_max_tokens(40000);
  EXPECT_NE(refused_code(r).find("got 40000"), std::string::npos);
}

TEST(InferenceRequestCheck, ADeadlineBeyondTheTimeoutBoundIsRefused) {
  auto r = good_request();
  r.set_ttft_deadline_ms(3600000);
  EXPECT_EQ(refused_code(r), "");
  r.set_ttft_deadline_ms(3600001);
  EXPECT_EQ(refused_code(r), "invalid_ttft_deadline: 'ttft_deadline_ms' must be at most 3600000, got 3600001");
}

TEST(InferenceRequestCheck, EmbeddingsHoldNoCompletionTokens) {
  auto r = good_request();
  r.set_path("/v1/embeddings");
  r.set_body(R"({"model":"m","input":"hi"})");
  r.set_max_tokens(0);
  EXPECT_EQ(refused_code(r), "");
  r.set_max_tokens(1);  // a completion budget for an embedding would be billed for nothing
  EXPECT_EQ(refused_code(r), "invalid_max_tokens: 'max_tokens' must be 0 for /v1/embeddings, got 1");
}

TEST(InferenceRequestCheck, AForeignPathNeverReachesTheEngine) {
  for (const char* path : {"/api/pull", "/v1/load_lora_adapter", "/slots/0?action=save", "", "/v1/chat/completions/"}) {
    auto r = good_request();
    r.set_path(path);
    EXPECT_EQ(refused_code(r).rfind("invalid_path", 0), 0u) << path;
  }
  auto r = good_request();
  r.set_path("/v1/completions");
  EXPECT_EQ(refused_code(r), "");
}

TEST(InferenceRequestCheck, DeepOrBrokenOrNonObjectBodiesAreRefused) {
  auto r = good_request();
  r.set_body("{\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}");
  EXPECT_NE(refused_code(r).find("invalid_body: request body nests deeper than 64"), std::string::npos)
      << refused_code(r);
  r.set_body("[1,2]");
  EXPECT_EQ(refused_code(r).rfind("invalid_body: request body must be a JSON object", 0), 0u);
  r.set_body("{");
  EXPECT_EQ(refused_code(r).rfind("invalid_body", 0), 0u);
  r = good_request();
  EXPECT_EQ(refused_code(r, {.max_body_bytes = 10}).rfind("body_too_large", 0), 0u);
}

TEST(InferenceRequestCheck, AnInflatedPromptEstimateOrIdIsRefused) {
  auto r = good_request();
  r.set_prompt_tokens_estimate(prompt_token_bound(r));
  EXPECT_EQ(refused_code(r), "");
  r.set_prompt_tokens_estimate(prompt_token_bound(r) + 1);
  EXPECT_EQ(refused_code(r).rfind("invalid_prompt_estimate", 0), 0u);
  r = good_request();
  r.set_request_id("a\nforged log line");
  EXPECT_EQ(refused_code(r).rfind("invalid_request_id", 0), 0u);
  r.set_request_id(std::string(129, 'x'));
  EXPECT_EQ(refused_code(r).rfind("invalid_request_id", 0), 0u);
}

TEST(InferenceRequestCheck, UsageIsClampedToTheReservation) {
  auto r = good_request();
  proto::Usage u;
  u.set_prompt_tokens(10);
  u.set_completion_tokens(16);
  EXPECT_FALSE(clamp_usage(u, r)) << "an honest report is left alone";
  u.set_prompt_tokens(1'000'000);
  u.set_cached_tokens(2'000'000);
  u.set_completion_tokens(17);
  u.set_reasoning_tokens(100);
  EXPECT_TRUE(clamp_usage(u, r));
  EXPECT_EQ(u.prompt_tokens(), prompt_token_bound(r));
  EXPECT_EQ(u.cached_tokens(), prompt_token_bound(r));
  EXPECT_EQ(u.completion_tokens(), 16u);
  EXPECT_EQ(u.reasoning_tokens(), 16u);
}

TEST(InferenceRequestCheck, AnE2eRequestIsCheckedByWhatItDeclares) {
  proto::InferenceRequest r = good_request();
  r.clear_body();
  r.set_e2e(true);
  r.set_model("m");
  r.set_body_bytes(500);
  nlohmann::json body;
  EXPECT_FALSE(check_inference_request(r, {}, body));
  EXPECT_EQ(body["model"], "m");
  EXPECT_EQ(prompt_token_bound(r), 500 + kPromptFramingTokens) << "the declared size bounds the prompt";

  auto with_body = r;
  with_body.set_body("{}");
  EXPECT_EQ(refused_code(with_body).substr(0, 12), "invalid_body");
  auto no_model = r;
  no_model.clear_model();
  EXPECT_EQ(refused_code(no_model).substr(0, 13), "invalid_model");
  auto huge = r;
  huge.set_body_bytes(9 << 20);
  EXPECT_EQ(refused_code(huge).substr(0, 14), "body_too_large");
  auto plain_sealed = good_request();
  plain_sealed.mutable_sealed()->set_enc("x");
  EXPECT_EQ(refused_code(plain_sealed).substr(0, 12), "invalid_body");

  proto::SealedBody sealed;
  sealed.set_enc(std::string(kSealedEncBytes, 'e'));
  sealed.set_ciphertext(std::string(500 + kSealedTagBytes, 'c'));
  EXPECT_FALSE(check_sealed_body(r, sealed));
  sealed.set_ciphertext(std::string(499 + kSealedTagBytes, 'c'));
  ASSERT_TRUE(check_sealed_body(r, sealed));
  EXPECT_EQ(check_sealed_body(r, sealed)->code, "invalid_sealed_body");
  sealed.set_enc("short");
  EXPECT_EQ(check_sealed_body(r, sealed)->code, "invalid_sealed_body");
}

}  // namespace
}  // namespace chrysalis::api
