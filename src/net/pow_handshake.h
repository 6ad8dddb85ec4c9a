#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>

namespace chrysalis::net {

// Proof-of-work step on a fresh TCP socket, before any TLS work (see pow_puzzle.h).
struct PowSettings {
  int difficulty = 0;                        // listener: leading zero bits demanded; 0 = no puzzle at all
  bool expect_puzzle = false;                // dialer: the listener sends a puzzle before TLS
  int max_solve_difficulty = 28;             // dialer: harder puzzles are refused, not solved
  std::chrono::milliseconds timeout{10000};  // whole exchange, either side
};

// Listener side: sends a puzzle and checks the answer. Throws std::runtime_error naming the
// failure (timeout, wrong magic, wrong answer); the caller closes the socket.
boost::asio::awaitable<void> demand_proof_of_work(boost::asio::ip::tcp::socket& socket, const PowSettings& settings);

// Dialer side: reads the puzzle, solves it (yielding to other work between batches) and
// answers. Throws std::runtime_error naming the failure.
boost::asio::awaitable<void> provide_proof_of_work(boost::asio::ip::tcp::socket& socket, const PowSettings& settings);

}  // namespace chrysalis::net
