// The worker's embeddings path: the body the engine gets, and the engine's answer relayed as
// checked, bounded parts with the engine's prompt count.
#include "worker/embedding_relay.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace chrysalis::worker {
namespace {

using nlohmann::json;

std::string engine_answer(std::size_t count, std::size_t dims) {
  json data = json::array();
  for (std::size_t i = 0; i < count; ++i)
    data.push_back(json{{"object", "embedding"}, {"index", i}, {"embedding", std::vector<double>(dims, 0.125)}});
  return json{{"object", "list"}, {"data", data}, {"usage", {{"prompt_tokens", 2 * count}}}}.dump();
}

TEST(EmbeddingRelay, TheEngineGetsItsOwnModelNameAndTheAppsOptions) {
  auto prepared =
      prepare_embedding_body(R"({"model":"tiny","input":["a","b"],"encoding_format":"base64"})", "engine-name");
  auto body = json::parse(prepared.body);
  EXPECT_EQ(body["model"], "engine-name");
  EXPECT_EQ(body["encoding_format"], "base64");
  EXPECT_FALSE(body.contains("stream"));
  EXPECT_EQ(prepared.shape.inputs, 2u);
  EXPECT_TRUE(prepared.shape.base64);
}

TEST(EmbeddingRelay, ABodyTheClientWouldRefuseIsRefusedHereToo) {
  EXPECT_THROW(prepare_embedding_body(R"({"model":"tiny","input":[]})", ""), std::invalid_argument);
  EXPECT_THROW(prepare_embedding_body(R"({"model":"tiny"})", ""), std::invalid_argument);
}

TEST(EmbeddingRelay, AnswersAreRelayedInBoundedPartsInOrder) {
  EmbeddingRelay relay({300, false, 0});
  std::string answer = engine_answer(300, 1024);  // ~1.5 MiB of JSON text
  // The engine's bytes arrive in pieces.
  for (std::size_t at = 0; at < answer.size(); at += 7000)
    ASSERT_TRUE(relay.on_body(std::string_view(answer).substr(at, 7000)));
  auto parts = relay.finish();
  EXPECT_EQ(relay.problem(), "");
  EXPECT_TRUE(relay.finished());
  ASSERT_GE(parts.size(), 2u);
  std::size_t index = 0;
  for (const auto& part : parts) {
    std::size_t bytes = 0;
    for (const auto& event : part) {
      bytes += event.size();
      EXPECT_EQ(json::parse(event)["index"], index++);
    }
    EXPECT_LE(bytes, 1u << 20);
  }
  EXPECT_EQ(index, 300u);
  auto usage = relay.usage(5);
  EXPECT_EQ(usage.prompt, 600u);
  EXPECT_EQ(usage.completion, 0u);
  EXPECT_FALSE(usage.estimated);
}

TEST(EmbeddingRelay, AWrongAnswerIsAProblemAndNothingIsRelayed) {
  EmbeddingRelay relay({3, false, 0});
  relay.on_body(engine_answer(2, 4));
  EXPECT_TRUE(relay.finish().empty());
  EXPECT_EQ(relay.problem(), "the engine answered 2 embeddings for 3 inputs");
  EXPECT_FALSE(relay.finished());
  EXPECT_EQ(relay.usage(5).prompt, 0u) << "no vector reached the app: nothing to bill";
}

TEST(EmbeddingRelay, AnAnswerOverTheBoundIsStoppedBeforeItIsHeld) {
  EmbeddingRelay relay({1, false, 0});
  std::string chunk(1 << 20, ' ');
  bool more = true;
  for (int i = 0; i < 200 && more; ++i) more = relay.on_body(chunk);
  EXPECT_FALSE(more);
  EXPECT_NE(relay.problem().find("ask for fewer inputs or encoding_format base64"), std::string::npos);
}

}  // namespace
}  // namespace chrysalis::worker
