// What the client's inference path builds and reads: the request frame, the app's SSE text and
// usage chunk, errors and costs from the proxy's frames, and the answer when no proxy is left.
#include <gtest/gtest.h>

#include "client/completion_messages.h"

namespace chrysalis::client {
namespace {

api::ValidatedRequest chat_request() {
  api::ValidatedRequest vr;
  vr.kind = api::ApiKind::Chat;
  vr.model = "m";
  vr.body = {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "Hello there"}}}}, {"max_tokens", 16}};
  vr.max_tokens = 16;
  vr.max_coefficient = 2500;
  vr.timeout_ms = 9000;
  return vr;
}

TEST(ClientCompletionMessages, RequestFrameCarriesTheValidatedRequest) {
  auto vr = chat_request();
  auto frame = make_request_frame("rid-1", "/v1/chat/completions", vr);
  ASSERT_TRUE(frame.has_request());
  const auto& r = frame.request();
  EXPECT_EQ(r.request_id(), "rid-1");
  EXPECT_EQ(r.path(), "/v1/chat/completions");
  EXPECT_EQ(nlohmann::json::parse(r.body()), vr.body);
  EXPECT_EQ(r.max_tokens(), 16u);
  EXPECT_EQ(r.max_coefficient(), 2500u);
  EXPECT_EQ(r.timeout_ms(), 9000u);
  EXPECT_EQ(r.prompt_tokens_estimate(), sse::estimate_prompt_tokens(vr.body));
  EXPECT_GT(r.prompt_tokens_estimate(), 0u);
  EXPECT_EQ(frame.stream(), 0u);  // set per attempt, by the caller
}

TEST(ClientCompletionMessages, SseOfAPartFramesEachEvent) {
  EXPECT_EQ(sse_of({}), "");
  EXPECT_EQ(sse_of({"{\"a\":1}", "{\"b\":2}"}), "data: {\"a\":1}\n\ndata: {\"b\":2}\n\n");
}

TEST(ClientCompletionMessages, AnE2eRequestCarriesNoBodyOnlyWhatTheProxyNeeds) {
  api::ValidatedRequest vr;
  vr.model = "m";
  vr.body = {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "private"}}}}};
  vr.max_tokens = 9;
  auto frame = make_request_frame("rid", "/v1/chat/completions", vr);
  std::string sealed = make_e2e_request(frame, "m", 42, /*deterministic=*/false);
  proto::E2eRequestBody opened;
  ASSERT_TRUE(opened.ParseFromString(sealed));
  EXPECT_NE(opened.body().find("private"), std::string::npos);
  EXPECT_TRUE(opened.spot_salt().empty());
  const auto& r = frame.request();
  EXPECT_TRUE(r.body().empty());
  EXPECT_TRUE(r.e2e());
  EXPECT_FALSE(r.deterministic());
  EXPECT_EQ(r.model(), "m");
  EXPECT_EQ(r.body_bytes(), sealed.size());
  EXPECT_EQ(r.affinity_hash(), 42u);
  EXPECT_EQ(r.max_tokens(), 9u);
  EXPECT_EQ(frame.SerializeAsString().find("private"), std::string::npos);
}

TEST(ClientCompletionMessages, ADeterministicE2eRequestSealsAFreshSpotSaltAndSaysSo) {
  api::ValidatedRequest vr;
  vr.model = "m";
  vr.body = {{"model", "m"}, {"temperature", 0}};
  vr.max_tokens = 9;
  std::string salts[2];
  for (auto& salt : salts) {
    auto frame = make_request_frame("rid", "/v1/chat/completions", vr);
    std::string sealed = make_e2e_request(frame, "m", 0, /*deterministic=*/true);
    proto::E2eRequestBody opened;
    ASSERT_TRUE(opened.ParseFromString(sealed));
    EXPECT_EQ(opened.spot_salt().size(), 32u);
    EXPECT_TRUE(frame.request().deterministic());
    EXPECT_EQ(frame.SerializeAsString().find(opened.spot_salt()), std::string::npos);  // the proxy never sees it
    salt = opened.spot_salt();
  }
  EXPECT_NE(salts[0], salts[1]);  // per request: the proxy cannot link two requests' spot hashes
}

TEST(ClientCompletionMessages, UsageFromProtoKeepsEveryCount) {
  proto::Usage u;
  u.set_prompt_tokens(11);
  u.set_cached_tokens(3);
  u.set_completion_tokens(7);
  u.set_reasoning_tokens(2);
  u.set_estimated(true);
  auto usage = usage_from_proto(u);
  EXPECT_EQ(usage.prompt, 11u);
  EXPECT_EQ(usage.cached, 3u);
  EXPECT_EQ(usage.completion, 7u);
  EXPECT_EQ(usage.reasoning, 2u);
  EXPECT_TRUE(usage.estimated);
}

TEST(ClientCompletionMessages, ProxyErrorsKeepTheirStatusAndNameTheHop) {
  proto::ResponseError e;
  e.set_http_status(429);
  e.set_type("rate_limit_error");
  e.set_code("too_many");
  e.set_message("slow down");
  e.set_hop("proxy");
  auto err = api_error_from_proto(e);
  EXPECT_EQ(err.status, 429);
  EXPECT_EQ(err.type, "rate_limit_error");
  EXPECT_EQ(err.code, "too_many");
  EXPECT_EQ(err.message, "proxy: slow down");
}

TEST(ClientCompletionMessages, ProxyErrorsWithoutStatusOrTypeAreUpstream502s) {
  proto::ResponseError e;
  e.set_message("boom");
  auto err = api_error_from_proto(e);
  EXPECT_EQ(err.status, 502);
  EXPECT_EQ(err.type, "upstream_error");
  EXPECT_EQ(err.message, "boom");  // no hop, no prefix
}

TEST(ClientCompletionMessages, CostJsonGivesNanoTonAsStrings) {
  proto::Billing b;
  b.set_charged_tokens(120);
  b.set_cost_nano(18446744073709551615ull);  // beyond what a JSON double holds exactly
  b.set_available_nano(5);
  b.set_capped(true);
  auto j = cost_json(b);
  EXPECT_EQ(j["charged_tokens"], 120);
  EXPECT_EQ(j["cost_nano"], "18446744073709551615");
  EXPECT_EQ(j["available_nano"], "5");
  EXPECT_EQ(j["capped"], true);
  EXPECT_FALSE(j.contains("reserved_nano"));
}

TEST(ClientCompletionMessages, UsageChunkTakesIdentityFromTheLastChunk) {
  sse::Usage usage;
  usage.prompt = 4;
  usage.completion = 6;
  auto chunk = usage_chunk(R"({"id":"chatcmpl-9","created":1700000000,"model":"engine-m","choices":[]})",
                           api::ApiKind::Chat, "m", usage);
  EXPECT_EQ(chunk["id"], "chatcmpl-9");
  EXPECT_EQ(chunk["object"], "chat.completion.chunk");
  EXPECT_EQ(chunk["created"], 1700000000);
  EXPECT_EQ(chunk["model"], "engine-m");
  EXPECT_TRUE(chunk["choices"].is_array() && chunk["choices"].empty());
  EXPECT_EQ(chunk["usage"]["prompt_tokens"], 4);
  EXPECT_EQ(chunk["usage"]["completion_tokens"], 6);
  EXPECT_EQ(chunk["usage"]["total_tokens"], 10);
}

TEST(ClientCompletionMessages, UsageChunkWithoutALastChunkUsesTheRequest) {
  auto chunk = usage_chunk("not json", api::ApiKind::Completion, "m", {});
  EXPECT_EQ(chunk["id"], "");
  EXPECT_EQ(chunk["object"], "text_completion");
  EXPECT_EQ(chunk["model"], "m");
  EXPECT_GT(chunk["created"].get<int64_t>(), 1600000000);  // now, in seconds
}

TEST(ClientCompletionMessages, BillingNotReadyOnlyWhilePayingIsTheOnlyObstacle) {
  auto a = no_proxy_answer("10.0.0.1:11002: contract not funded", "", "unused");
  EXPECT_EQ(a.outcome, "billing_not_ready");
  EXPECT_EQ(a.error.status, 503);
  EXPECT_EQ(a.error.code, "billing_not_ready");
  EXPECT_NE(a.error.message.find("contract not funded"), std::string::npos) << a.error.message;

  // Once a proxy failed, that failure is the news, not billing.
  auto b = no_proxy_answer("x: not funded", "proxy p disconnected: reset", "unused");
  EXPECT_EQ(b.outcome, "no_proxy");
  EXPECT_EQ(b.error.status, 503);
  EXPECT_NE(b.error.message.find("proxy p disconnected: reset"), std::string::npos) << b.error.message;
}

TEST(ClientCompletionMessages, NoProxyConnectedSaysWhyEachIsDown) {
  auto a = no_proxy_answer("", "", "127.0.0.1:11002: connection refused");
  EXPECT_EQ(a.outcome, "no_proxy");
  EXPECT_EQ(a.error.status, 503);
  EXPECT_EQ(a.error.code, "service_unavailable");
  EXPECT_NE(a.error.message.find("no proxy connected (127.0.0.1:11002: connection refused)"), std::string::npos)
      << a.error.message;
}

}  // namespace
}  // namespace chrysalis::client
