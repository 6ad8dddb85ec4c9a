// The worker's receipt: the answer hash (salted per e2e exchange) and the spot hash two workers
// of a spot check must agree on (salted with the client's spot salt, or unsalted in plaintext).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "receipts/answer_digest.h"
#include "receipts/receipt.h"
#include "worker/receipt_writer.h"

namespace chrysalis::worker {
namespace {

proto::WorkerReceipt receipt_after(ReceiptFacts facts, const std::vector<std::string>& texts) {
  auto key = ton::Ed25519Key::generate();
  ReceiptWriter writer(std::move(facts), key, 1);
  for (auto& text : texts) {
    proto::Frame part;
    part.mutable_part()->add_events(R"({"choices":[{"delta":{"content":")" + text + R"("}}]})");
    writer.observe(part);
  }
  proto::Frame end;
  end.mutable_end()->set_finish_reason("stop");
  writer.observe(end);
  proto::WorkerReceipt r;
  EXPECT_TRUE(r.ParseFromString(end.end().receipt().worker()));
  return r;
}

TEST(ReceiptWriter, AnE2eSpotHashIsSaltedWithTheClientsSpotSaltNotTheExchanges) {
  std::string spot_salt(32, 's');
  auto a = receipt_after({.request_id = "r", .answer_salt = "exchange-a", .spot_salt = spot_salt}, {"he", "llo"});
  auto b = receipt_after({.request_id = "r", .answer_salt = "exchange-b", .spot_salt = spot_salt}, {"hel", "lo"});
  EXPECT_EQ(a.spot_hash(), receipts::answer_hash(spot_salt, "hello"));
  EXPECT_EQ(a.spot_hash(), b.spot_hash()) << "two workers, one answer: one spot hash";
  EXPECT_NE(a.answer_hash(), b.answer_hash()) << "each exchange salts its own answer hash";
  auto other = receipt_after({.request_id = "r", .answer_salt = "exchange-a", .spot_salt = spot_salt}, {"hullo"});
  EXPECT_NE(other.spot_hash(), a.spot_hash());
}

TEST(ReceiptWriter, PlaintextSpotHashIsTheAnswerHashAndANonDeterministicE2eRequestHasNone) {
  auto plain = receipt_after({.request_id = "r", .answer_salt = "", .spot_salt = std::string()}, {"hi"});
  EXPECT_EQ(plain.spot_hash(), plain.answer_hash());
  EXPECT_EQ(plain.spot_hash(), receipts::answer_hash("", "hi"));
  auto sampled = receipt_after({.request_id = "r", .answer_salt = "exchange", .spot_salt = std::nullopt}, {"hi"});
  EXPECT_TRUE(sampled.spot_hash().empty());
}

// The job hands the texts it parsed once (the shaper's parse): the same hashes as parsing each
// part's events here, whatever the events hold (content, text, tool calls, usage, junk).
TEST(ReceiptWriter, TextsFromTheShaperHashLikeThePartsTheyCameFrom) {
  std::vector<std::string> events = {
      R"({"choices":[{"delta":{"content":"he"}}]})",
      R"({"choices":[{"text":"llo","index":0}]})",
      R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{\"a\":1}"}}]}}]})",
      R"({"choices":[],"usage":{"prompt_tokens":3}})",
      R"({"choices":[{"delta":{"content":"a"},"finish_reason":"stop"},{"delta":{"content":"b"}}]})",
  };
  auto key = ton::Ed25519Key::generate();
  ReceiptFacts facts{.request_id = "r", .answer_salt = "x", .spot_salt = std::string(32, 's')};
  ReceiptWriter parsed(facts, key, 1), given(facts, key, 1);
  std::vector<std::string> texts;
  for (auto& e : events) {
    EXPECT_EQ(receipts::answer_text_of_parsed(nlohmann::json::parse(e)), receipts::answer_text_of(std::string_view(e)));
    texts.push_back(receipts::answer_text_of_parsed(nlohmann::json::parse(e)));
  }
  proto::Frame part;
  for (auto& e : events) part.mutable_part()->add_events(e);
  parsed.observe(part);
  given.add_answer_texts(texts);
  given.observe(part);  // not hashed twice
  proto::Frame a, b;
  a.mutable_end()->set_finish_reason("stop");
  b.mutable_end()->set_finish_reason("stop");
  parsed.observe(a);
  given.observe(b);
  proto::WorkerReceipt ra, rb;
  ASSERT_TRUE(ra.ParseFromString(a.end().receipt().worker()));
  ASSERT_TRUE(rb.ParseFromString(b.end().receipt().worker()));
  EXPECT_EQ(ra.answer_hash(), rb.answer_hash());
  EXPECT_EQ(ra.spot_hash(), rb.spot_hash());
  EXPECT_EQ(ra.answer_hash(), receipts::answer_hash("x", "hellof{\"a\":1}ab"));
}

}  // namespace
}  // namespace chrysalis::worker
