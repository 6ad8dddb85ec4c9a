#pragma once
#include <utility>  // before Boost 1.74 awaitable.hpp, which uses std::exchange without including it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chrysalis::http {

class ConnectionPool;
using Headers = std::vector<std::pair<std::string, std::string>>;

enum class ClientError {
  none,
  invalid_url,     // the URL could not be parsed
  resolve_failed,  // host name unknown
  connect_failed,  // refused, unreachable
  send_failed,     // connection broke while sending the request
  bad_response,    // not HTTP, or a malformed head/body
  read_failed,     // connection broke or closed before the response was complete
  tls_failed,      // https: the handshake failed or the server's certificate does not verify for the host
  timeout,         // the total timeout passed
  cancelled,       // cancel() was called
};
const char* to_string(ClientError error);

struct ClientRequest {
  std::string method = "GET";
  std::string url;     // "http://127.0.0.1:8000", "http://host:8000/prefix" or "https://host/prefix"
  std::string target;  // appended to the URL's path: "/v1/chat/completions"; empty = the URL itself
  Headers headers;     // Host, Content-Length and Connection are set by the client
  std::string body;
  std::chrono::milliseconds timeout{120000};  // for the whole exchange, connect to last byte
  // Plain http:// only: take an idle connection from here and give it back after a complete
  // response the server did not close (HTTP/1.1 keep-alive). Must outlive the request.
  ConnectionPool* pool = nullptr;
};

struct ResponseHead {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
};

struct ClientResult {
  ClientError error = ClientError::none;
  std::string message;      // human-readable, names host:port; empty on success
  int status = 0;           // 0 when no response head arrived
  bool complete = false;    // the whole body arrived (false also when the body callback stopped early)
  uint64_t body_bytes = 0;  // delivered to the body callback
  bool ok() const { return error == ClientError::none; }
};

// Called once with the response head, before any body bytes.
using HeadCallback = std::function<void(const ResponseHead&)>;
// Receives the de-chunked body as it arrives; return false to stop reading (the result is then
// ok with complete == false).
using BodyCallback = std::function<bool(std::string_view)>;

// One HTTP/1.1 request, streaming the response: over its own connection (Connection: close), or
// over a kept-alive one from request.pool (a pooled connection the server had closed meanwhile is
// replaced by a new one once, before anything of the response arrived). An
// https:// URL is dialed with TLS 1.2+ (SNI, the certificate verified for the host against the
// system's trust store and whatever trust_client_ca added).
// Errors come back in the result, never as exceptions. cancel() may be called at any time from
// another coroutine (also before run()): the socket closes and run() returns `cancelled` at once.
// The object must outlive the run() coroutine; it serves one request only.
class StreamingRequest {
 public:
  explicit StreamingRequest(boost::asio::any_io_executor executor);
  ~StreamingRequest();
  StreamingRequest(const StreamingRequest&) = delete;
  StreamingRequest& operator=(const StreamingRequest&) = delete;

  boost::asio::awaitable<ClientResult> run(ClientRequest request, HeadCallback on_head, BodyCallback on_body);
  void cancel();
  bool cancelled() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

struct SimpleResponse {
  ClientError error = ClientError::none;
  std::string message;
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  bool ok() const { return error == ClientError::none; }
};

// Whole-body request for small exchanges (health checks, admin calls). Bodies beyond
// max_body_bytes end the request with bad_response.
boost::asio::awaitable<SimpleResponse> http_fetch(boost::asio::any_io_executor executor, ClientRequest request,
                                                  std::size_t max_body_bytes = 16 * 1024 * 1024);
boost::asio::awaitable<SimpleResponse> http_get(boost::asio::any_io_executor executor, std::string url,
                                                std::chrono::milliseconds timeout);

// Trusts `pem` (one or more CA certificates) for https:// beyond the system's store: a PCCS or an
// API gateway with a private CA, and tests. Throws std::runtime_error when it holds no certificate.
void trust_client_ca(const std::string& pem);

}  // namespace chrysalis::http
