// libFuzzer target: the bytes an app sends to a node's HTTP server, read as the server reads them
// (http/http_server.cpp Connection::serve): a Beast request_parser with the server's limits
// (http/server_request.h), the head first, then the body, requests one after another on one
// connection while keep-alive holds, the bytes arriving in input-derived pieces. Each request goes
// through to_request (target split, percent-decoding, query, header folding) and the error body a
// node answers for an unknown path. Once with the default limits, once with small ones so that the
// 413/431 paths are reached with small inputs.
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/system/system_error.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/openai_error.h"
#include "fuzz_support.h"
#include "http/server_request.h"

using namespace chrysalis;

namespace {

namespace bhttp = boost::beast::http;
using boost::system::error_code;

// A peer that sends the input piece by piece, one piece per read, then closes the connection.
class PeerStream {
 public:
  PeerStream(std::string_view bytes, std::size_t max_piece) {
    fuzz::for_each_piece(bytes, max_piece, [&](std::string_view piece) { pieces_.push_back(piece); });
  }

  template <typename MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, error_code& ec) {
    ec = {};
    if (next_ == pieces_.size()) {
      ec = boost::asio::error::eof;
      return 0;
    }
    std::string_view& piece = pieces_[next_];
    std::size_t n = boost::asio::buffer_copy(buffers, boost::asio::buffer(piece.data(), piece.size()));
    piece.remove_prefix(n);
    if (piece.empty()) ++next_;
    return n;
  }
  template <typename MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    error_code ec;
    std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::vector<std::string_view> pieces_;
  std::size_t next_ = 0;
};

bool has_upper(std::string_view text) {
  for (char c : text)
    if (c >= 'A' && c <= 'Z') return true;
  return false;
}

void check_request(const http::Request& request, const http::ServerLimits& limits) {
  if (request.body.size() > limits.max_body_bytes) __builtin_trap();
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || has_upper(name)) __builtin_trap();
    // Header values are echoed into responses (CORS preflight): a line break would split them.
    if (value.find_first_of("\r\n") != std::string::npos) __builtin_trap();
  }
  // What the nodes answer for a path they do not serve; it must be sendable whatever the path.
  (void)api::unknown_endpoint(request.method, request.path).body();
}

void serve(std::string_view bytes, const http::ServerLimits& limits) {
  PeerStream peer(bytes, 48);
  boost::beast::flat_buffer buffer;  // lives as long as the connection, like Connection::buffer_
  for (int served = 0; served < 16; ++served) {
    http::RequestParser parser;
    http::limit_request_parser(parser, limits);
    error_code ec;
    bhttp::read_header(peer, buffer, parser, ec);
    if (!ec && !parser.is_done()) bhttp::read(peer, buffer, parser, ec);
    if (ec) return;  // the server answers 400/413/431 or nothing, and closes
    auto& message = parser.get();
    bool keep_alive = message.keep_alive();
    check_request(http::to_request(message, "192.0.2.1:4711"), limits);
    if (!keep_alive) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes = fuzz::as_text(data, size);
  serve(bytes, http::ServerLimits{});
  serve(bytes, http::ServerLimits{.max_body_bytes = 64, .max_header_bytes = 256});
  return 0;
}
