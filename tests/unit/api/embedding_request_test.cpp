// POST /v1/embeddings as the client checks it (and the worker again on the opened body).
#include <gtest/gtest.h>

#include "api/openai_request.h"

namespace chrysalis::api {
namespace {

ValidatedRequest accepted(const std::string& body) {
  auto result = validate_openai_request("/v1/embeddings", body);
  if (auto* error = std::get_if<ApiError>(&result)) ADD_FAILURE() << body << " refused: " << error->message;
  return std::get<ValidatedRequest>(result);
}

ApiError refused(const std::string& body) {
  auto result = validate_openai_request("/v1/embeddings", body);
  if (!std::holds_alternative<ApiError>(result)) ADD_FAILURE() << body << " was accepted";
  return std::holds_alternative<ApiError>(result) ? std::get<ApiError>(result) : ApiError{};
}

TEST(EmbeddingRequest, EveryInputShapeCountsItsVectors) {
  EXPECT_EQ(accepted(R"({"model":"m","input":"one text"})").inputs, 1u);
  EXPECT_EQ(accepted(R"({"model":"m","input":["a","b","c"]})").inputs, 3u);
  EXPECT_EQ(accepted(R"({"model":"m","input":[1,2,3]})").inputs, 1u);
  EXPECT_EQ(accepted(R"({"model":"m","input":[[1,2],[3]]})").inputs, 2u);
}

TEST(EmbeddingRequest, NothingIsGeneratedOrStreamed) {
  auto r = accepted(R"({"model":"m","input":"x","encoding_format":"base64","dimensions":64,"user":"u1"})");
  EXPECT_EQ(r.kind, ApiKind::Embedding);
  EXPECT_EQ(r.max_tokens, 0u);
  EXPECT_FALSE(r.stream);
  EXPECT_TRUE(r.base64);
  EXPECT_EQ(r.dimensions, 64u);
  EXPECT_FALSE(r.body.contains("stream"));  // the engine answers one JSON object
}

TEST(EmbeddingRequest, ChrysalisExtensionsAreTakenOut) {
  auto r = accepted(R"({"model":"m","input":"x","max_coefficient":1500,"timeout":30})");
  EXPECT_EQ(r.max_coefficient, 1500u);
  EXPECT_EQ(r.timeout_ms, 30000u);
  EXPECT_FALSE(r.body.contains("max_coefficient"));
  EXPECT_FALSE(r.body.contains("timeout"));
}

TEST(EmbeddingRequest, BadInputIsRefusedByName) {
  EXPECT_EQ(refused(R"({"model":"m"})").code, "missing_required_parameter");
  EXPECT_EQ(refused(R"({"model":"m","input":""})").message, "'input' must not be empty");
  EXPECT_EQ(refused(R"({"model":"m","input":[]})").param, "input");
  EXPECT_EQ(refused(R"({"model":"m","input":["a",""]})").param, "input[1]");
  EXPECT_EQ(refused(R"({"model":"m","input":["a",3]})").param, "input[1]");
  EXPECT_EQ(refused(R"({"model":"m","input":[[1],[-1]]})").param, "input[1]");
  EXPECT_EQ(refused(R"({"model":"m","input":[[1],[]]})").param, "input[1]");
  EXPECT_EQ(refused(R"({"model":"m","input":{"text":"a"}})").param, "input");
  EXPECT_EQ(refused(R"({"model":"m","input":[1.5]})").message, "'input' as token ids must hold integers 0 to 2^31-1");
  EXPECT_EQ(refused(R"({"input":"a"})").param, "model");
}

TEST(EmbeddingRequest, OptionsAreChecked) {
  EXPECT_EQ(refused(R"({"model":"m","input":"a","encoding_format":"int8"})").param, "encoding_format");
  EXPECT_EQ(refused(R"({"model":"m","input":"a","dimensions":0})").param, "dimensions");
  EXPECT_EQ(refused(R"({"model":"m","input":"a","user":5})").param, "user");
}

TEST(EmbeddingRequest, MoreThanOpenAIsLimitOfInputsIsRefused) {
  nlohmann::json body{{"model", "m"}, {"input", nlohmann::json::array()}};
  for (int i = 0; i < 2049; ++i) body["input"].push_back("t");
  auto error = refused(body.dump());
  EXPECT_EQ(error.message, "'input' holds 2049 items; the limit is 2048");
  body["input"].erase(body["input"].begin());
  EXPECT_EQ(accepted(body.dump()).inputs, 2048u);
}

}  // namespace
}  // namespace chrysalis::api
