// One e2e exchange end to end, without sockets: the client seals for a worker it checked, the
// worker opens the body and seals its answer, the client opens it. Whatever a proxy in between
// changes, drops, replays or reorders is detected and named.
#include <gtest/gtest.h>

#include "e2e/client_side.h"
#include "e2e/worker_side.h"

namespace chrysalis::e2e {
namespace {

const std::string kTlsKey(64, 'a');
const std::string kBody = R"({"model":"m","messages":[{"role":"user","content":"the secret is 42"}]})";
const std::string kSpotSalt(32, 's');

// What the client seals: the body and, deterministic or not, a spot salt.
std::string sealed_plaintext(const std::string& body, const std::string& spot_salt) {
  proto::E2eRequestBody b;
  b.set_body(body);
  b.set_spot_salt(spot_salt);
  return b.SerializeAsString();
}
const std::string kSealed = sealed_plaintext(kBody, kSpotSalt);

class E2eExchangeTest : public ::testing::Test {
 protected:
  crypto::X25519KeyPair worker_key = crypto::X25519KeyPair::generate();
  bool accept = true;
  ClientExchange client{"rid-1", kSealed, [this](const std::string& der, VerifiedWorker& w, std::string& reason) {
                          if (!accept || der != "worker-cert") {
                            reason = "attestation check 'image_hash' failed";
                            return false;
                          }
                          w.public_key_hex = kTlsKey;
                          w.image_hash = "img";
                          w.model_hash = "model";
                          w.e2e_key.assign(worker_key.public_key.begin(), worker_key.public_key.end());
                          return true;
                        }};

  proto::SealFor ask(uint32_t attempt, std::string cert = "worker-cert") {
    proto::SealFor a;
    a.set_attempt(attempt);
    a.set_worker_certificate(std::move(cert));
    return a;
  }

  // What the worker gets from the proxy for a sealed attempt.
  proto::InferenceRequest request_for(const proto::SealedFor& sealed, const std::string& rid = "rid-1") {
    proto::InferenceRequest r;
    r.set_request_id(rid);
    r.set_e2e(true);
    r.set_model("m");
    r.set_body_bytes(kSealed.size());
    r.set_max_tokens(8);
    *r.mutable_sealed() = sealed.sealed();
    return r;
  }

  std::shared_ptr<AnswerSealer> worker_opens(const proto::SealedFor& sealed) {
    auto request = request_for(sealed);
    std::shared_ptr<AnswerSealer> sealer;
    std::string spot_salt;
    EXPECT_FALSE(open_request(request, worker_key, kTlsKey, sealer, spot_salt).has_value());
    EXPECT_EQ(request.body(), kBody);
    EXPECT_EQ(spot_salt, kSpotSalt);
    EXPECT_FALSE(request.e2e());
    return sealer;
  }

  static proto::Frame part(std::vector<std::string> events) {
    proto::Frame f;
    for (auto& e : events) f.mutable_part()->add_events(e);
    return f;
  }
};

TEST_F(E2eExchangeTest, TheAnswerOpensInOrderWithTheWorkersOwnAccountOfTheEnd) {
  auto sealed = client.on_seal_for(ask(3));
  ASSERT_TRUE(sealed.refused().empty());
  EXPECT_EQ(sealed.sealed().ciphertext().find("secret"), std::string::npos);
  auto sealer = worker_opens(sealed);

  std::string error;
  ASSERT_TRUE(client.begin_answer(3, error)) << error;
  EXPECT_EQ(client.worker()->public_key_hex, kTlsKey);
  for (int i = 0; i < 3; ++i) {
    auto f = part({"chunk" + std::to_string(i), "more"});
    sealer->seal(f);
    EXPECT_EQ(f.part().events_size(), 0) << "nothing in the clear";
    EXPECT_EQ(f.part().event_count(), 2u);
    auto events = client.open_part(f.part(), error);
    ASSERT_TRUE(events) << error;
    EXPECT_EQ((*events)[0], "chunk" + std::to_string(i));
  }
  proto::Frame end;
  end.mutable_end()->mutable_usage()->set_completion_tokens(6);
  end.mutable_end()->set_finish_reason("stop");
  sealer->seal(end);
  auto final = client.open_final(end.end().sealed_final(), error);
  ASSERT_TRUE(final) << error;
  EXPECT_EQ(final->usage().completion_tokens(), 6u);
  EXPECT_EQ(final->finish_reason(), "stop");
}

TEST_F(E2eExchangeTest, AlteredDroppedReplayedAndReorderedPartsAreDetected) {
  for (std::string attack : {"flip", "drop", "replay", "reorder"}) {
    ClientExchange c("rid-1", kSealed, [&](const std::string&, VerifiedWorker& w, std::string&) {
      w.public_key_hex = kTlsKey;
      w.e2e_key.assign(worker_key.public_key.begin(), worker_key.public_key.end());
      return true;
    });
    auto sealer = worker_opens(c.on_seal_for(ask(1)));
    std::string error;
    ASSERT_TRUE(c.begin_answer(1, error));
    std::vector<proto::Frame> parts;
    for (int i = 0; i < 3; ++i) {
      parts.push_back(part({"p" + std::to_string(i)}));
      sealer->seal(parts.back());
    }
    std::vector<proto::Frame> relayed = parts;
    if (attack == "flip") relayed[1].mutable_part()->mutable_sealed()->at(5) ^= 1;
    if (attack == "drop") relayed.erase(relayed.begin() + 1);
    if (attack == "replay") relayed.insert(relayed.begin() + 1, parts[0]);
    if (attack == "reorder") std::swap(relayed[1], relayed[2]);
    bool detected = false;
    for (auto& f : relayed)
      if (!c.open_part(f.part(), error)) {
        detected = true;
        break;
      }
    EXPECT_TRUE(detected) << attack;
    EXPECT_NE(error.find("record"), std::string::npos) << attack << ": " << error;
  }
}

TEST_F(E2eExchangeTest, ACutAnswerAndAFinalRecordPassedAsAPartAreDetected) {
  auto sealer = worker_opens(client.on_seal_for(ask(1)));
  std::string error;
  ASSERT_TRUE(client.begin_answer(1, error));
  EXPECT_FALSE(client.open_final("", error));
  EXPECT_NE(error.find("without the worker's sealed final record"), std::string::npos) << error;

  proto::Frame end;
  end.mutable_end()->set_finish_reason("stop");
  sealer->seal(end);
  proto::ResponsePart as_part;
  as_part.set_sealed(end.end().sealed_final());
  EXPECT_FALSE(client.open_part(as_part, error));
  EXPECT_FALSE(client.open_part(part({"plain"}).part(), error)) << "an unsealed part";
  EXPECT_NE(error.find("not sealed"), std::string::npos) << error;
}

TEST_F(E2eExchangeTest, AHeadNamingAnAttemptNeverSealedIsRefused) {
  client.on_seal_for(ask(1));
  std::string error;
  EXPECT_FALSE(client.begin_answer(2, error));
  EXPECT_NE(error.find("attempt 2"), std::string::npos) << error;
}

TEST_F(E2eExchangeTest, AWorkerOutsideThePolicyGetsNothingAndSealsAreBounded) {
  accept = false;
  auto refused = client.on_seal_for(ask(1));
  EXPECT_FALSE(refused.has_sealed());
  EXPECT_NE(refused.refused().find("image_hash"), std::string::npos);
  accept = true;
  for (uint32_t i = 2; i <= ClientExchange::kMaxSeals; ++i) EXPECT_TRUE(client.on_seal_for(ask(i)).refused().empty());
  EXPECT_NE(client.on_seal_for(ask(99)).refused().find("more than"), std::string::npos);
}

TEST_F(E2eExchangeTest, TheBodyOpensOnlyForItsRequestOnItsWorker) {
  auto sealed = client.on_seal_for(ask(1));
  std::shared_ptr<AnswerSealer> sealer;
  std::string spot_salt;
  auto renamed = request_for(sealed, "rid-2");
  auto refusal = open_request(renamed, worker_key, kTlsKey, sealer, spot_salt);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->code, "e2e_unreadable");
  EXPECT_EQ(refusal->http_status, 421u);

  auto elsewhere = request_for(sealed);
  refusal = open_request(elsewhere, crypto::X25519KeyPair::generate(), kTlsKey, sealer, spot_salt);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->code, "e2e_unreadable");

  auto short_body = request_for(sealed);
  short_body.set_body_bytes(kSealed.size() - 1);
  refusal = open_request(short_body, worker_key, kTlsKey, sealer, spot_salt);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->code, "invalid_sealed_body");
}

TEST_F(E2eExchangeTest, SealedBytesThatAreNotARequestBodyAreRefused) {
  ClientExchange raw{"rid-1", "\xff\xff not a message", [this](const std::string&, VerifiedWorker& w, std::string&) {
                       w.public_key_hex = kTlsKey;
                       w.e2e_key.assign(worker_key.public_key.begin(), worker_key.public_key.end());
                       return true;
                     }};
  auto sealed = raw.on_seal_for(ask(1));
  auto request = request_for(sealed);
  request.set_body_bytes(sealed.sealed().ciphertext().size() - 16);
  std::shared_ptr<AnswerSealer> sealer;
  std::string spot_salt;
  auto refusal = open_request(request, worker_key, kTlsKey, sealer, spot_salt);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->code, "invalid_sealed_body");
}

// A client could otherwise flag a sampled request deterministic and make honest workers disagree.
TEST(E2eSpotFlag, TheFlagMustMatchTheBodyAndTheSealedSalt) {
  proto::InferenceRequest request;
  auto greedy = nlohmann::json::parse(R"({"model":"m","temperature":0})");
  auto sampled = nlohmann::json::parse(R"({"model":"m","temperature":0.8})");
  EXPECT_FALSE(check_spot_flag(request, sampled, ""));
  EXPECT_FALSE(check_spot_flag(request, greedy, "")) << "a client may keep determinism to itself";
  EXPECT_EQ(check_spot_flag(request, greedy, kSpotSalt)->code, "e2e_spot_flag_mismatch");
  request.set_deterministic(true);
  EXPECT_FALSE(check_spot_flag(request, greedy, kSpotSalt));
  EXPECT_EQ(check_spot_flag(request, sampled, kSpotSalt)->code, "e2e_spot_flag_mismatch");
  auto short_salt = check_spot_flag(request, greedy, "short");
  ASSERT_TRUE(short_salt);
  EXPECT_NE(short_salt->message.find("5 bytes"), std::string::npos);
}

TEST_F(E2eExchangeTest, AWorkerErrorKeepsItsDetailsForTheClientOnly) {
  auto sealer = worker_opens(client.on_seal_for(ask(1)));
  proto::Frame error;
  error.mutable_error()->set_http_status(400);
  error.mutable_error()->set_code("engine_error");
  error.mutable_error()->set_message("engine answered HTTP 400: prompt 'the secret is 42' too long");
  error.mutable_error()->mutable_usage()->set_prompt_tokens(9);
  sealer->seal(error);
  EXPECT_EQ(error.error().message().find("secret"), std::string::npos) << "the proxy sees only the code";
  std::string problem;
  auto final = client.open_final(error.error().sealed_final(), problem);  // before any head: any attempt's
  ASSERT_TRUE(final) << problem;
  EXPECT_NE(final->error().message().find("the secret is 42"), std::string::npos);
  EXPECT_EQ(final->usage().prompt_tokens(), 9u);
}

}  // namespace
}  // namespace chrysalis::e2e
