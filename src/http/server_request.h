#pragma once
// What the HTTP server reads off the wire for one request: the Beast parser with the server's
// limits, and the Request it hands to handlers. Kept apart from http_server.h (sockets, coroutines)
// so the parsing can be exercised on its own (tests/fuzz/http_request_fuzz.cpp).
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace chrysalis::http {

struct Request {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // as sent: "/v1/models?x=1"
  std::string path;                            // target without the query, percent-decoded
  std::map<std::string, std::string> query;    // decoded query parameters
  std::map<std::string, std::string> headers;  // lower-case names; repeated headers joined with ", "
  std::string body;
  std::string remote;  // "ip:port" of the peer
};

struct ServerLimits {
  std::size_t max_body_bytes = 1 << 20;      // larger bodies get 413 from the server itself
  std::chrono::seconds read_timeout{60};     // to receive a whole request; also idle keep-alive and each write
  std::size_t max_header_bytes = 16 * 1024;  // larger heads get 431
  // Web origins whose pages may call this node (CORS). A request carrying any other Origin header
  // (so sent by a browser on some page's behalf) is refused with 403: a node's API is private to
  // the programs on its machine unless the operator names the sites that may use it.
  std::vector<std::string> cors_origins;
};

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Applies the head and body limits to a fresh parser.
void limit_request_parser(RequestParser& parser, const ServerLimits& limits);

// The parsed message as handlers see it; the body is moved out of `message`.
Request to_request(boost::beast::http::request<boost::beast::http::string_body>& message, const std::string& remote);

}  // namespace chrysalis::http
