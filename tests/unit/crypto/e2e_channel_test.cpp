// The e2e request/answer channel: a request and its answer records go through, and each way a
// proxy could tamper with them (alter, drop, swap, replay, append, unmark the end, splice in
// another attempt, redirect the request) is caught.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/e2e_channel.h"

namespace chrysalis::crypto {
namespace {

// One attempt: the worker's key, the client's sealed request, and both ends' channels.
struct Exchange {
  X25519KeyPair worker_key = X25519KeyPair::generate();
  std::string info = "request r-1 attempt 0";
  SealedRequest request;
  E2eClientChannel client = E2eClientChannel::seal_request(worker_key.public_key, info, "the prompt", request);
  E2eWorkerChannel worker = open_worker();

  E2eWorkerChannel open_worker() {
    std::string body, error;
    auto channel = E2eWorkerChannel::open_request(worker_key, info, request, body, error);
    if (!channel) throw std::runtime_error(error);
    return *channel;
  }
};

// Opens `record` on `client`, expecting it to fail; returns the error.
std::string refusal(E2eClientChannel& client, const std::string& record) {
  bool final = false;
  std::string error;
  EXPECT_FALSE(client.open_record(record, final, error));
  return error;
}

std::string opened(E2eClientChannel& client, const std::string& record, bool expect_final = false) {
  bool final = !expect_final;
  std::string error;
  auto plaintext = client.open_record(record, final, error);
  EXPECT_TRUE(plaintext) << error;
  EXPECT_EQ(final, expect_final);
  return plaintext.value_or("");
}

TEST(E2eChannel, RequestAndRecordsRoundTrip) {
  X25519KeyPair worker_key = X25519KeyPair::generate();
  SealedRequest request;
  E2eClientChannel client = E2eClientChannel::seal_request(worker_key.public_key, "info", "the prompt", request);
  EXPECT_EQ(request.enc.size(), 32u);
  EXPECT_EQ(request.ciphertext.find("the prompt"), std::string::npos);

  std::string body, error;
  auto worker = E2eWorkerChannel::open_request(worker_key, "info", request, body, error);
  ASSERT_TRUE(worker) << error;
  EXPECT_EQ(body, "the prompt");

  const std::vector<std::string> pieces = {"Hello", "", std::string(70000, 'z'), ", world"};
  for (const auto& piece : pieces) EXPECT_EQ(opened(client, worker->seal_record(piece, false)), piece);
  EXPECT_FALSE(client.finished());
  EXPECT_EQ(opened(client, worker->seal_record("[done]", true), true), "[done]");
  EXPECT_TRUE(client.finished());
  EXPECT_EQ(client.records_opened(), 5u);
}

TEST(E2eChannel, FlippedByteIsRefused) {
  Exchange x;
  std::string record = x.worker.seal_record("answer", true);
  for (size_t i = 1; i < record.size(); ++i) {
    std::string altered = record;
    altered[i] ^= 0x20;
    EXPECT_NE(refusal(x.client, altered).find("record 0 does not authenticate"), std::string::npos) << "byte " << i;
  }
  EXPECT_EQ(opened(x.client, record, true), "answer");  // refusals did not advance the channel
}

TEST(E2eChannel, DroppedRecordIsRefused) {
  Exchange x;
  EXPECT_EQ(opened(x.client, x.worker.seal_record("zero", false)), "zero");
  x.worker.seal_record("one", false);  // lost on the way
  std::string two = x.worker.seal_record("two", true);
  EXPECT_NE(refusal(x.client, two).find("record 1"), std::string::npos);
  EXPECT_FALSE(x.client.finished());
}

TEST(E2eChannel, SwappedRecordsAreRefused) {
  Exchange x;
  std::string zero = x.worker.seal_record("zero", false);
  std::string one = x.worker.seal_record("one", false);
  EXPECT_FALSE(refusal(x.client, one).empty());
  EXPECT_EQ(opened(x.client, zero), "zero");
  EXPECT_EQ(opened(x.client, one), "one");
}

TEST(E2eChannel, ReplayedRecordIsRefused) {
  Exchange x;
  std::string zero = x.worker.seal_record("zero", false);
  EXPECT_EQ(opened(x.client, zero), "zero");
  EXPECT_NE(refusal(x.client, zero).find("record 1"), std::string::npos);
}

TEST(E2eChannel, RecordAfterTheFinalIsRefused) {
  Exchange x;
  std::string last = x.worker.seal_record("last", true);
  EXPECT_THROW(x.worker.seal_record("more", false), std::logic_error);
  EXPECT_EQ(opened(x.client, last, true), "last");
  EXPECT_NE(refusal(x.client, last).find("after the final record"), std::string::npos);
  EXPECT_EQ(x.client.records_opened(), 1u);
}

TEST(E2eChannel, FlippedFinalFlagIsRefused) {
  Exchange x;
  std::string not_last = x.worker.seal_record("more follows", false);
  std::string marked_last = not_last;
  marked_last[0] ^= kE2eRecordFinal;  // a proxy cutting the answer short
  EXPECT_FALSE(refusal(x.client, marked_last).empty());
  std::string last = x.worker.seal_record("end", true);
  EXPECT_EQ(opened(x.client, not_last), "more follows");
  std::string unmarked = last;
  unmarked[0] ^= kE2eRecordFinal;  // a proxy hiding the end
  EXPECT_FALSE(refusal(x.client, unmarked).empty());
}

TEST(E2eChannel, UnknownFlagsAreRefused) {
  Exchange x;
  std::string record = x.worker.seal_record("r", false);
  record[0] |= 0x02;
  EXPECT_NE(refusal(x.client, record).find("unknown flags"), std::string::npos);
}

TEST(E2eChannel, ShortAndOversizedRecordsAreRefused) {
  Exchange x;
  EXPECT_NE(refusal(x.client, "").find("too short"), std::string::npos);
  EXPECT_NE(refusal(x.client, std::string(16, '\0')).find("too short"), std::string::npos);
  EXPECT_NE(refusal(x.client, std::string(1 + kE2eMaxRecordPlaintext + 17, '\0')).find("over 16 MiB"),
            std::string::npos);
  EXPECT_THROW(x.worker.seal_record(std::string(kE2eMaxRecordPlaintext + 1, 'a'), false), std::invalid_argument);
}

TEST(E2eChannel, RecordFromAnotherAttemptIsRefused) {
  Exchange first, second;
  second.worker_key = first.worker_key;
  second.info = first.info;  // same worker, same info: only the ephemeral key differs
  second.client =
      E2eClientChannel::seal_request(second.worker_key.public_key, second.info, "the prompt", second.request);
  second.worker = second.open_worker();
  std::string from_second = second.worker.seal_record("other", true);
  EXPECT_FALSE(refusal(first.client, from_second).empty());
  EXPECT_EQ(opened(second.client, from_second, true), "other");
}

TEST(E2eChannel, RequestOpenedWithWrongKeyOrInfoIsRefused) {
  Exchange x;
  std::string body, error;
  EXPECT_FALSE(E2eWorkerChannel::open_request(X25519KeyPair::generate(), x.info, x.request, body, error));
  EXPECT_NE(error.find("does not authenticate"), std::string::npos);
  error.clear();
  EXPECT_FALSE(E2eWorkerChannel::open_request(x.worker_key, "request r-1 attempt 1", x.request, body, error));
  EXPECT_NE(error.find("does not authenticate"), std::string::npos);
  EXPECT_TRUE(body.empty());
}

TEST(E2eChannel, MalformedOrAlteredRequestIsRefused) {
  Exchange x;
  std::string body, error;
  SealedRequest short_enc = x.request;
  short_enc.enc.pop_back();
  EXPECT_FALSE(E2eWorkerChannel::open_request(x.worker_key, x.info, short_enc, body, error));
  EXPECT_NE(error.find("enc"), std::string::npos);
  SealedRequest altered = x.request;
  altered.ciphertext[0] ^= 0x01;
  EXPECT_FALSE(E2eWorkerChannel::open_request(x.worker_key, x.info, altered, body, error));
  SealedRequest other_enc = x.request;
  other_enc.enc[5] ^= 0x01;
  EXPECT_FALSE(E2eWorkerChannel::open_request(x.worker_key, x.info, other_enc, body, error));
}

}  // namespace
}  // namespace chrysalis::crypto
