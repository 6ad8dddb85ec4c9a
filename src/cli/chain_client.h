#pragma once
// The toncenter client the wallet commands share: a bad endpoint is a usage error (exit 2).
#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>

#include "ton/toncenter/toncenter_client.h"

namespace chrysalis::cli {

std::unique_ptr<ton::ToncenterClient> make_chain_client(boost::asio::io_context& io, const std::string& endpoint);

}  // namespace chrysalis::cli
