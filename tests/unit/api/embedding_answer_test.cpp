// An embeddings answer split by the worker and put back together by the client, each side
// refusing a vector that is missing, misplaced or of the wrong shape.
#include "api/embedding_answer.h"

#include <gtest/gtest.h>

#include "receipts/answer_digest.h"

namespace chrysalis::api {
namespace {

using nlohmann::json;

json answer(std::vector<json> vectors, json usage = json{{"prompt_tokens", 7}, {"total_tokens", 7}}) {
  json data = json::array();
  for (std::size_t i = 0; i < vectors.size(); ++i)
    data.push_back(json{{"object", "embedding"}, {"index", i}, {"embedding", vectors[i]}});
  return json{{"object", "list"}, {"data", data}, {"model", "m"}, {"usage", usage}};
}

std::string problem_of(const json& body, EmbeddingShape shape) {
  auto split = split_embedding_answer(body.dump(), shape);
  return std::holds_alternative<std::string>(split) ? std::get<std::string>(split) : "";
}

TEST(EmbeddingAnswer, SplitsIntoOneEventPerVectorAndTakesTheEngineCount) {
  auto split = split_embedding_answer(answer({json::array({0.6, 0.8}), json::array({1.0, 0.0})}).dump(), {2, false, 0});
  ASSERT_TRUE(std::holds_alternative<EmbeddingEvents>(split));
  auto& events = std::get<EmbeddingEvents>(split);
  ASSERT_EQ(events.events.size(), 2u);
  EXPECT_EQ(json::parse(events.events[1]), (json{{"object", "embedding"}, {"index", 1}, {"embedding", {1.0, 0.0}}}));
  EXPECT_EQ(events.prompt_tokens, 7u);
}

TEST(EmbeddingAnswer, TheWorkerRefusesAnAnswerThatIsNotWhatWasAsked) {
  EXPECT_EQ(problem_of(answer({json::array({0.6, 0.8})}), {2, false, 0}),
            "the engine answered 1 embeddings for 2 inputs");
  EXPECT_EQ(problem_of(answer({json::array({0.6, 0.8}), json::array({1.0})}), {2, false, 0}),
            "embedding 1: has 1 dimensions; the ones before it have 2");
  EXPECT_EQ(problem_of(answer({json::array({0.6, 0.8})}), {1, false, 3}),
            "embedding 0: has 2 dimensions; the request asked for 3");
  EXPECT_EQ(problem_of(answer({json::array({0.6, "x"})}), {1, false, 0}),
            "embedding 0: 'embedding' holds a value that is not a finite number");
  EXPECT_EQ(problem_of(answer({json::array({0.6})}), {1, true, 0}),
            "embedding 0: 'embedding' must be a base64 string (encoding_format base64)");
  EXPECT_EQ(problem_of(answer({json("AAAA!")}), {1, true, 0}), "embedding 0: 'embedding' is not valid base64");
  EXPECT_EQ(problem_of(answer({json("AAA=")}), {1, true, 0}),
            "embedding 0: 'embedding' does not decode to float32 values");
  EXPECT_EQ(problem_of(answer({json("AACAfw==")}), {1, true, 0}),  // +inf
            "embedding 0: 'embedding' holds a value that is not a finite number");
  json swapped = answer({json::array({0.6}), json::array({0.8})});
  std::swap(swapped["data"][0], swapped["data"][1]);
  EXPECT_EQ(problem_of(swapped, {2, false, 0}), "embedding 0: 'index' must be 0 (vectors come in input order)");
  EXPECT_EQ(problem_of(json{{"object", "list"}}, {1, false, 0}), "the engine's answer has no 'data' list");
}

TEST(EmbeddingAnswer, AMissingOrBogusUsageIsLeftToTheWorkersEstimate) {
  auto split = split_embedding_answer(answer({json::array({1.0})}, json{{"prompt_tokens", -3}}).dump(), {1, false, 0});
  EXPECT_FALSE(std::get<EmbeddingEvents>(split).prompt_tokens);
}

TEST(EmbeddingAnswer, TheClientRebuildsTheListAndRefusesExtrasAndGaps) {
  EmbeddingList list({2, true, 1});
  EXPECT_EQ(list.add(R"({"object":"embedding","index":0,"embedding":"AACAPw=="})"), "");  // 1.0f
  EXPECT_EQ(list.incomplete(), "the answer holds 1 embeddings for 2 inputs");
  EXPECT_EQ(list.add(R"({"object":"embedding","index":2,"embedding":"AACAPw=="})"),
            "embedding 1: 'index' must be 1 (vectors come in input order)");
  EXPECT_EQ(list.add(R"({"object":"embedding","index":1,"embedding":"AAAAAA=="})"), "");
  EXPECT_EQ(list.incomplete(), "");
  EXPECT_EQ(list.add(R"({"object":"embedding","index":2,"embedding":"AAAAAA=="})"),
            "more embeddings than the 2 inputs asked for");
  sse::Usage usage;
  usage.prompt = 9;
  json out = list.finish("tiny", usage);
  EXPECT_EQ(out["object"], "list");
  EXPECT_EQ(out["model"], "tiny");
  EXPECT_EQ(out["data"][1]["embedding"], "AAAAAA==");
  EXPECT_EQ(out["usage"], (json{{"prompt_tokens", 9}, {"total_tokens", 9}}));
}

TEST(EmbeddingAnswer, TheClientHoldsABoundedAnswer) {
  EmbeddingList list({2, false, 0});
  std::string huge = R"({"object":"embedding","index":0,"embedding":[)";
  for (std::size_t i = 0; i < kMaxEmbeddingDimensions; ++i) huge += "0.5,";
  huge += "0.5]}";
  EXPECT_EQ(list.add(huge), "embedding 0: has 65537 dimensions; the limit is 65536");
  EmbeddingList flooded({2, false, 0});
  std::string padding(kMaxEmbeddingAnswerBytes / 2 + 1, ' ');
  EXPECT_NE(flooded.add(padding + "1"), "");
  EXPECT_EQ(flooded.add(padding + "1"), "the embeddings answer is over 160 MiB");
}

TEST(EmbeddingAnswer, TheReceiptHashCoversEveryVector) {
  std::string a = R"({"object":"embedding","index":0,"embedding":[0.6,0.8]})";
  std::string b = R"({"object":"embedding","index":0,"embedding":[0.6,0.81]})";
  EXPECT_EQ(receipts::answer_text_of(a), "[0.6,0.8]");
  receipts::AnswerDigest da(""), db("");
  da.add_event(a);
  db.add_event(b);
  EXPECT_NE(da.finish(), db.finish());
}

}  // namespace
}  // namespace chrysalis::api
