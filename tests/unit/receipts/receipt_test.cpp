#include "receipts/receipt.h"

#include <gtest/gtest.h>

#include "receipts/answer_digest.h"

namespace chrysalis::receipts {
namespace {

std::string raw(const ton::Ed25519Key& k) { return {k.public_key().begin(), k.public_key().end()}; }

class ReceiptTest : public ::testing::Test {
 protected:
  ton::Ed25519Key worker_key = ton::Ed25519Key::generate();
  ton::Ed25519Key proxy_key = ton::Ed25519Key::generate();
  std::string salt = std::string(32, 's');

  proto::WorkerReceipt worker_part() {
    proto::WorkerReceipt w;
    w.set_request_id("rid-1");
    w.set_request_hash(std::string(32, 'r'));
    w.set_answer_hash(answer_hash(salt, "Hello, world"));
    w.set_model_hash(std::string(64, 'a'));
    w.mutable_usage()->set_prompt_tokens(30);
    w.mutable_usage()->set_completion_tokens(48);
    w.set_coefficient(1000);
    w.set_started_ms(1000);
    w.set_ended_ms(2000);
    w.set_worker_key(raw(worker_key));
    w.set_outcome("stop");
    return w;
  }
  proto::Receipt full() {
    auto r = sign_worker_part(worker_part(), worker_key);
    proto::ProxyCountersign c;
    c.set_charged_tokens(78);
    c.set_cost_nano(156);
    c.set_ledger_seqno(6);
    countersign(r, c, proxy_key);
    return r;
  }
  Expected expected() {
    Expected e;
    e.worker_key = raw(worker_key);
    e.proxy_key = raw(proxy_key);
    e.request_id = "rid-1";
    e.answer_hash = answer_hash(salt, "Hello, world");
    return e;
  }
};

TEST_F(ReceiptTest, AnHonestReceiptOpensWithBothParts) {
  std::string error;
  auto opened = open_receipt(full(), expected(), error);
  ASSERT_TRUE(opened) << error;
  EXPECT_EQ(opened->worker.usage().completion_tokens(), 48u);
  ASSERT_TRUE(opened->proxy);
  EXPECT_EQ(opened->proxy->charged_tokens(), 78u);
  EXPECT_EQ(opened->proxy->proxy_key(), raw(proxy_key));
}

TEST_F(ReceiptTest, EachFailureNamesWhatFailed) {
  std::string error;
  auto r = full();
  r.mutable_worker()->back() ^= 1;  // any byte of the worker's part
  EXPECT_FALSE(open_receipt(r, expected(), error));
  EXPECT_EQ(error.rfind("worker", 0), 0u) << error;

  r = full();
  auto other = ton::Ed25519Key::generate();
  auto e = expected();
  e.worker_key = raw(other);
  EXPECT_FALSE(open_receipt(r, e, error));
  EXPECT_EQ(error.rfind("worker_key:", 0), 0u) << error;

  e = expected();
  e.request_id = "rid-2";
  EXPECT_FALSE(open_receipt(r, e, error));
  EXPECT_EQ(error.rfind("request_id:", 0), 0u) << error;

  e = expected();
  e.answer_hash = answer_hash(salt, "Hello, World");
  EXPECT_FALSE(open_receipt(r, e, error));
  EXPECT_EQ(error.rfind("answer_hash:", 0), 0u) << error;

  e = expected();
  e.proxy_key = raw(other);
  EXPECT_FALSE(open_receipt(r, e, error));
  EXPECT_EQ(error.rfind("proxy_key:", 0), 0u) << error;

  r = full();
  r.mutable_proxy_signature()->front() ^= 1;
  EXPECT_FALSE(open_receipt(r, expected(), error));
  EXPECT_EQ(error.rfind("proxy_signature:", 0), 0u) << error;

  // A countersignature moved onto another worker receipt (signed by the same worker, so its own
  // signature holds) is refused by the hash it names.
  r = full();
  auto moved = worker_part();
  moved.set_request_id("rid-1b");
  auto other_receipt = sign_worker_part(moved, worker_key);
  other_receipt.set_proxy(r.proxy());
  other_receipt.set_proxy_signature(r.proxy_signature());
  e = expected();
  e.request_id.clear();
  EXPECT_FALSE(open_receipt(other_receipt, e, error));
  EXPECT_EQ(error.rfind("worker_receipt_hash:", 0), 0u) << error;

  auto bare = sign_worker_part(worker_part(), worker_key);
  EXPECT_FALSE(open_receipt(bare, expected(), error));
  EXPECT_EQ(error.rfind("proxy_signature:", 0), 0u) << error;
  e = expected();
  e.countersigned = false;
  EXPECT_TRUE(open_receipt(bare, e, error)) << "the proxy checks a worker receipt before countersigning";
}

TEST_F(ReceiptTest, TheJsonFormRoundTripsAndNamesAChangedField) {
  auto j = receipt_json(full(), salt);
  EXPECT_EQ(j["worker"]["usage"]["completion_tokens"], 48);
  EXPECT_EQ(j["proxy"]["ledger_seqno"], 6);
  std::string read_salt, error;
  auto back = receipt_from_json(j, read_salt, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(read_salt, salt);
  EXPECT_EQ(back->SerializeAsString(), full().SerializeAsString());

  auto changed = j;
  changed["worker"]["usage"]["completion_tokens"] = 4800;
  EXPECT_FALSE(receipt_from_json(changed, read_salt, error));
  EXPECT_NE(error.find("worker.usage.completion_tokens"), std::string::npos) << error;
  changed = j;
  changed["proxy"]["charged_tokens"] = 1;
  EXPECT_FALSE(receipt_from_json(changed, read_salt, error));
  EXPECT_NE(error.find("proxy.charged_tokens"), std::string::npos) << error;
  changed = j;
  changed["format"] = "something/else";
  EXPECT_FALSE(receipt_from_json(changed, read_salt, error));
  EXPECT_EQ(error.rfind("format", 0), 0u) << error;
  // Fields of another JSON type are refused with the field named, never thrown (found by receipt_fuzz).
  changed["format"] = nlohmann::json::object();
  EXPECT_FALSE(receipt_from_json(changed, read_salt, error));
  EXPECT_EQ(error.rfind("format", 0), 0u) << error;
  changed = j;
  changed["signed"] = 7;
  EXPECT_FALSE(receipt_from_json(changed, read_salt, error));
  EXPECT_EQ(error.rfind("signed", 0), 0u) << error;
}

TEST(AnswerDigest, StreamedChunksHashAsTheTextTheyCarry) {
  AnswerDigest d("salt");
  d.add_event(R"({"choices":[{"index":0,"delta":{"role":"assistant"}}]})");
  d.add_event(R"({"choices":[{"index":0,"delta":{"content":"Hello, "}}]})");
  d.add_event(R"({"choices":[{"index":0,"delta":{"content":"world"}}]})");
  d.add_event("not json");
  d.add_event(R"({"choices":[],"usage":{"prompt_tokens":3}})");
  EXPECT_EQ(d.finish(), answer_hash("salt", "Hello, world"));
  AnswerDigest completion("");
  completion.add_event(R"({"choices":[{"index":0,"text":"Hello"}]})");
  EXPECT_EQ(completion.finish(), answer_hash("", "Hello"));
  EXPECT_NE(answer_hash("salt", "Hello"), answer_hash("", "Hello")) << "the salt changes the hash";
}

TEST(AnswerDigest, ToolCallsAreHashedByNameAndArgumentsNotById) {
  auto call = [](const char* id, const char* args) {
    return std::string(R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":")") + id +
           R"(","type":"function","function":{"name":"get_weather","arguments":")" + args + R"("}}]}}]})";
  };
  EXPECT_EQ(answer_text_of(call("call_a", R"({\"city\":\"Paris\"})")), R"(get_weather{"city":"Paris"})");
  EXPECT_EQ(answer_text_of(call("call_a", "{}")), answer_text_of(call("call_b", "{}"))) << "ids are random";
  AnswerDigest honest(""), rewritten("");
  honest.add_event(call("call_a", R"({\"city\":\"Paris\"})"));
  rewritten.add_event(call("call_a", R"({\"city\":\"Rome\"})"));
  EXPECT_NE(honest.finish(), rewritten.finish()) << "a proxy rewriting a call's arguments is caught";
}

}  // namespace
}  // namespace chrysalis::receipts
