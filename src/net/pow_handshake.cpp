#include "net/pow_handshake.h"

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/pow_puzzle.h"

namespace chrysalis::net {

namespace asio = boost::asio;
using asio::use_awaitable;

namespace {

// Closes the socket when the exchange runs past its time, which fails the pending read.
class PowDeadline {
 public:
  PowDeadline(asio::ip::tcp::socket& socket, std::chrono::milliseconds limit) : timer_(socket.get_executor()) {
    timer_.expires_after(limit);
    timer_.async_wait([&socket, expired = expired_](boost::system::error_code ec) {
      if (ec) return;
      *expired = true;
      boost::system::error_code ignored;
      socket.close(ignored);
    });
  }
  ~PowDeadline() { timer_.cancel(); }
  bool expired() const { return *expired_; }

 private:
  asio::steady_timer timer_;
  std::shared_ptr<bool> expired_ = std::make_shared<bool>(false);
};

std::string io_failure(const PowDeadline& deadline, const boost::system::error_code& ec, const char* step) {
  return std::string("proof of work: ") + (deadline.expired() ? "timed out" : ec.message()) + " while " + step;
}

}  // namespace

asio::awaitable<void> demand_proof_of_work(asio::ip::tcp::socket& socket, const PowSettings& settings) {
  PowDeadline deadline(socket, settings.timeout);
  PowChallenge challenge = make_pow_challenge(settings.difficulty);
  auto wire = encode_pow_challenge(challenge);
  boost::system::error_code ec;
  co_await asio::async_write(socket, asio::buffer(wire), asio::redirect_error(use_awaitable, ec));
  if (ec) throw std::runtime_error(io_failure(deadline, ec, "sending the puzzle"));
  std::array<uint8_t, kPowAnswerBytes> answer{};
  co_await asio::async_read(socket, asio::buffer(answer), asio::redirect_error(use_awaitable, ec));
  if (ec) throw std::runtime_error(io_failure(deadline, ec, "waiting for the answer"));
  std::string error;
  auto nonce = decode_pow_answer(answer.data(), error);
  if (!nonce) throw std::runtime_error("proof of work: " + error);
  if (!pow_answer_valid(challenge, *nonce))
    throw std::runtime_error("proof of work: answer has " +
                             std::to_string(pow_leading_zero_bits(challenge.salt, *nonce)) + " leading zero bits, " +
                             std::to_string(challenge.difficulty) + " required");
}

asio::awaitable<void> provide_proof_of_work(asio::ip::tcp::socket& socket, const PowSettings& settings) {
  PowDeadline deadline(socket, settings.timeout);
  std::array<uint8_t, kPowChallengeBytes> wire{};
  boost::system::error_code ec;
  co_await asio::async_read(socket, asio::buffer(wire), asio::redirect_error(use_awaitable, ec));
  if (ec)
    throw std::runtime_error(io_failure(deadline, ec, "waiting for the puzzle") +
                             " (does the listener demand proof of work? see expect_pow)");
  std::string error;
  auto challenge = decode_pow_challenge(wire.data(), error);
  if (!challenge) throw std::runtime_error("proof of work: " + error);
  if (challenge->difficulty > settings.max_solve_difficulty)
    throw std::runtime_error("proof of work: difficulty " + std::to_string(challenge->difficulty) +
                             " is above our maximum " + std::to_string(settings.max_solve_difficulty));
  // Batches keep the single-threaded node responsive while it solves.
  constexpr uint64_t kBatch = 1 << 13;
  std::optional<uint64_t> nonce;
  for (uint64_t first = 0; !nonce; first += kBatch) {
    nonce = pow_search(*challenge, first, kBatch);
    if (nonce) break;
    if (deadline.expired()) throw std::runtime_error("proof of work: timed out while solving");
    co_await asio::post(socket.get_executor(), use_awaitable);
  }
  auto answer = encode_pow_answer(*nonce);
  co_await asio::async_write(socket, asio::buffer(answer), asio::redirect_error(use_awaitable, ec));
  if (ec) throw std::runtime_error(io_failure(deadline, ec, "sending the answer"));
}

}  // namespace chrysalis::net
