#include "cli/chain_client.h"

#include <CLI/CLI.hpp>

namespace chrysalis::cli {

std::unique_ptr<ton::ToncenterClient> make_chain_client(boost::asio::io_context& io, const std::string& endpoint) {
  ton::ToncenterOptions options;
  options.endpoint = endpoint;
  options.retry.max_attempts = 3;
  try {
    return std::make_unique<ton::ToncenterClient>(io.get_executor(), options);
  } catch (const std::exception& e) {
    throw CLI::RuntimeError(std::string("--endpoint: ") + e.what(), 2);
  }
}

}  // namespace chrysalis::cli
