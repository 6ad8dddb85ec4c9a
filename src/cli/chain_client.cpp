#include "cli/chain_client.h"

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <iostream>

namespace chrysalis::cli {

std::unique_ptr<ton::ToncenterClient> make_chain_client(boost::asio::io_context& io, const std::string& endpoint,
                                                       const std::string& api_key) {
  ton::ToncenterOptions options;
  options.endpoint = endpoint;
  options.api_key = api_key;
  options.retry.max_attempts = 3;
  try {
    return std::make_unique<ton::ToncenterClient>(io.get_executor(), options);
  } catch (const std::exception& e) {
    throw CLI::RuntimeError(std::string("--endpoint: ") + e.what(), 2);
  }
}

int run_chain_task(boost::asio::io_context& io, std::function<boost::asio::awaitable<nlohmann::json>()> task) {
  std::string error;
  int code = 1;
  nlohmann::json out;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        try {
          out = co_await task();
        } catch (const CLI::Error& e) {  // bad input found once the chain was read: still exit 2
          error = e.what();
          code = e.get_exit_code();
        } catch (const std::exception& e) {
          error = e.what();
        }
      },
      boost::asio::detached);
  io.run();
  if (!error.empty()) throw CLI::RuntimeError(error, code);
  std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace chrysalis::cli
