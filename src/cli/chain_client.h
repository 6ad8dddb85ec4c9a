#pragma once
// The toncenter client the wallet commands share: a bad endpoint is a usage error (exit 2).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <functional>

#include <memory>
#include <string>

#include "ton/toncenter/toncenter_client.h"

namespace chrysalis::cli {

std::unique_ptr<ton::ToncenterClient> make_chain_client(boost::asio::io_context& io, const std::string& endpoint,
                                                       const std::string& api_key = "");

// Runs `task` on `io` to its end and prints the JSON it returns; what it throws becomes the
// command's error (exit 1). Returns 0.
int run_chain_task(boost::asio::io_context& io, std::function<boost::asio::awaitable<nlohmann::json>()> task);

}  // namespace chrysalis::cli
