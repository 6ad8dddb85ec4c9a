// Proof-of-work flood guard: puzzle encoding, solving, verification, difficulty bounds, and the
// guard in front of a real TLS listener.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "crypto/tls_identity.h"
#include "net/listener.h"
#include "net/pow_puzzle.h"
#include "net/tls_context.h"

namespace asio = boost::asio;
using namespace chrysalis;

TEST(NetPow, ChallengeRoundTripsAndRejectsBadMagicOrDifficulty) {
  auto c = net::make_pow_challenge(17);
  auto wire = net::encode_pow_challenge(c);
  EXPECT_EQ(wire[0], 0x91);  // magic little-endian
  EXPECT_EQ(wire[3], 0x41);
  std::string error;
  auto back = net::decode_pow_challenge(wire.data(), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->difficulty, 17);
  EXPECT_EQ(back->salt, c.salt);
  wire[0] ^= 1;
  EXPECT_FALSE(net::decode_pow_challenge(wire.data(), error));
  EXPECT_NE(error.find("magic"), std::string::npos);
  auto hard = net::encode_pow_challenge({65, {}});
  EXPECT_FALSE(net::decode_pow_challenge(hard.data(), error));
  EXPECT_NE(error.find("difficulty 65"), std::string::npos);
  auto negative = net::encode_pow_challenge({-1, {}});
  EXPECT_FALSE(net::decode_pow_challenge(negative.data(), error));
}

TEST(NetPow, AnswerRoundTrips) {
  auto wire = net::encode_pow_answer(0x0102030405060708ull);
  EXPECT_EQ(wire[4], 0x08);
  std::string error;
  EXPECT_EQ(net::decode_pow_answer(wire.data(), error), 0x0102030405060708ull);
  wire[1] ^= 0x10;
  EXPECT_FALSE(net::decode_pow_answer(wire.data(), error));
}

TEST(NetPow, SolvedNonceMeetsDifficultyAndOthersMostlyDoNot) {
  auto c = net::make_pow_challenge(12);
  auto nonce = net::pow_search(c, 0, 1 << 24);
  ASSERT_TRUE(nonce);
  EXPECT_GE(net::pow_leading_zero_bits(c.salt, *nonce), 12);
  EXPECT_TRUE(net::pow_answer_valid(c, *nonce));
  // The first valid nonce is the first: every earlier one fails.
  for (uint64_t n = 0; n < *nonce; ++n) EXPECT_FALSE(net::pow_answer_valid(c, n));
  net::PowChallenge zero{0, c.salt};
  EXPECT_TRUE(net::pow_answer_valid(zero, 12345));  // difficulty 0 accepts anything
}

TEST(NetPow, LeadingZeroBitsCountsTheLittleEndianFirstEightBytes) {
  // Known value: SHA-256 of 24 zero bytes is 9d908ecfb6b256de..., as LE u64 = 0xde56b2b6cf8e909d: top bit set.
  std::array<uint8_t, 16> salt{};
  EXPECT_EQ(net::pow_leading_zero_bits(salt, 0), 0);
}

namespace {

struct PowLoopback {
  asio::io_context io;
  crypto::TlsIdentity server_id = crypto::create_identity("server", 3600);
  crypto::TlsIdentity client_id = crypto::create_identity("client", 3600);
  std::unique_ptr<net::Listener> listener;
  int accepted = 0;

  explicit PowLoopback(int difficulty) {
    net::ConnectionOptions opts;
    opts.local_role = proto::ROLE_PROXY;
    opts.accepted_peer_roles = {proto::ROLE_CLIENT};
    opts.pow.difficulty = difficulty;
    opts.pow.timeout = std::chrono::milliseconds(3000);
    auto tls = net::make_tls_context(server_id, std::make_shared<crypto::SelfSignedVerifier>(), net::TlsSide::Server);
    listener = std::make_unique<net::Listener>(io, tls, opts, [this](auto c) {
      ++accepted;
      c->start([](proto::Frame&) {}, [](const std::string&) {});
    });
    listener->listen({"127.0.0.1", 0});
  }

  // Dials with the given expectations; returns the error text ("" on success).
  std::string dial(bool expect, int max_difficulty) {
    net::ConnectionOptions opts;
    opts.local_role = proto::ROLE_CLIENT;
    opts.pow.expect_puzzle = expect;
    opts.pow.max_solve_difficulty = max_difficulty;
    opts.pow.timeout = std::chrono::milliseconds(3000);
    opts.handshake_timeout = std::chrono::milliseconds(3000);
    auto tls = net::make_tls_context(client_id, std::make_shared<crypto::SelfSignedVerifier>(), net::TlsSide::Client);
    std::string error = "not finished";
    asio::co_spawn(io, net::Connection::dial({"127.0.0.1", listener->port()}, tls, opts),
                   [&](std::exception_ptr e, std::shared_ptr<net::Connection> c) {
                     error.clear();
                     if (e) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         error = ex.what();
                       }
                     } else {
                       c->close("done");
                     }
                   });
    io.restart();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (error == "not finished" && std::chrono::steady_clock::now() < deadline)
      io.run_for(std::chrono::milliseconds(20));
    io.run_for(std::chrono::milliseconds(50));
    return error;
  }
};

}  // namespace

TEST(NetPow, ListenerAcceptsASolverAndCountsNothing) {
  PowLoopback lb(10);
  EXPECT_EQ(lb.dial(true, 28), "");
  EXPECT_EQ(lb.accepted, 1);
  EXPECT_EQ(lb.listener->pow_refused(), 0u);
}

TEST(NetPow, DialerRefusesAPuzzleAboveItsMaximum) {
  PowLoopback lb(20);
  std::string error = lb.dial(true, 8);
  EXPECT_NE(error.find("difficulty 20 is above our maximum 8"), std::string::npos) << error;
  EXPECT_EQ(lb.accepted, 0);
}

TEST(NetPow, PeerThatSkipsThePuzzleIsClosedBeforeTlsAndCounted) {
  PowLoopback lb(16);
  std::string error = lb.dial(false, 28);  // starts TLS at once: its ClientHello is not an answer
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(lb.accepted, 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (lb.listener->pow_refused() == 0 && std::chrono::steady_clock::now() < deadline)
    lb.io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(lb.listener->pow_refused(), 1u);
}

TEST(NetPow, WrongAnswerIsRefused) {
  PowLoopback lb(30);  // a random nonce meets 30 bits with probability 2^-30
  asio::ip::tcp::socket s(lb.io);
  s.connect({asio::ip::make_address("127.0.0.1"), lb.listener->port()});
  // The listener runs on lb.io: pump it until its puzzle has arrived, then read it without blocking on it.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (s.available() < net::kPowChallengeBytes && std::chrono::steady_clock::now() < deadline)
    lb.io.run_for(std::chrono::milliseconds(20));
  ASSERT_GE(s.available(), net::kPowChallengeBytes) << "no puzzle from the listener";
  std::array<uint8_t, net::kPowChallengeBytes> challenge{};
  asio::read(s, asio::buffer(challenge));
  auto answer = net::encode_pow_answer(42);
  asio::write(s, asio::buffer(answer));
  while (lb.listener->pow_refused() == 0 && std::chrono::steady_clock::now() < deadline)
    lb.io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(lb.listener->pow_refused(), 1u);
  EXPECT_EQ(lb.accepted, 0);
}
