#pragma once
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <memory>

#include "client/client_config.h"
#include "client/proxy_pool.h"
#include "common/metrics.h"
#include "http/http_server.h"

namespace chrysalis::attest {
class NodeAttestation;
}

namespace chrysalis::client {

// The app-facing node: an OpenAI-compatible HTTP API on localhost backed by RA-TLS
// connections to one or more proxies.
class ClientBilling;

class ClientNode {
 public:
  ClientNode(boost::asio::io_context& io, ClientConfig config);
  ~ClientNode();
  void start();
  void stop();
  nlohmann::json stats() const;

 private:
  boost::asio::awaitable<void> route(const http::Request& req, http::Responder& res);
  boost::asio::awaitable<void> serve_models(http::Responder& res);
  boost::asio::awaitable<void> serve_completion(const http::Request& req, http::Responder& res);
  bool authorized(const http::Request& req) const;
  boost::asio::awaitable<void> serve_admin(const http::Request& req, http::Responder& res);

  boost::asio::io_context& io_;
  ClientConfig config_;
  Metrics metrics_;
  std::unique_ptr<ProxyPool> pool_;
  std::unique_ptr<ClientBilling> billing_;
  std::unique_ptr<attest::NodeAttestation> attestation_;
  std::unique_ptr<http::Server> http_;
  int64_t started_at_us_ = 0;
  uint64_t in_flight_ = 0;
};

}  // namespace chrysalis::client
