#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

#include "common/endpoint.h"
#include "common/metrics.h"
#include "http/http_server.h"

namespace chrysalis::http {
class WebAssets;
class StatsHistory;
}  // namespace chrysalis::http

namespace chrysalis::api {

// What a node's HTTP face shows people, besides its API (docs/web.md).
struct NodeWebOptions {
  // "client": `/` and `/app/` are the chat app; any other role: `/` leads to `/dashboard`.
  std::string role;
  // The built web app; null: the one in default_web_dir(), loaded once per process.
  std::shared_ptr<const http::WebAssets> assets;
};

// A node's HTTP face: /healthz, /stats (JSON), /stats/stream (the same as server-sent events, once
// a second), /stats/history (the last hour at 10 s), /metrics (Prometheus), the web app
// (/dashboard, the chat app for clients, /assets/*), plus the role's own routes in `role_routes`
// (may be null). Unknown paths get an OpenAI-shaped 404.
class NodeHttp {
 public:
  static constexpr std::size_t kMaxStatStreams = 32;
  struct Face;  // what the handler shares with the node (history, streams, assets)
  NodeHttp(boost::asio::io_context& io, const Endpoint& at, const std::string& metrics_prefix,
           std::function<nlohmann::json()> stats, Metrics& metrics, http::Handler role_routes, http::ServerLimits limits,
           NodeWebOptions web);
  ~NodeHttp();
  void stop();
  uint16_t port() const;

 private:
  void sample_later();
  std::shared_ptr<Face> face_;
  std::unique_ptr<http::Server> server_;
  boost::asio::steady_timer history_timer_;
};

std::unique_ptr<NodeHttp> start_node_http(boost::asio::io_context& io, const Endpoint& at,
                                          const std::string& metrics_prefix, std::function<nlohmann::json()> stats,
                                          Metrics& metrics, http::Handler role_routes, http::ServerLimits limits = {},
                                          NodeWebOptions web = {});
void stop_node_http(NodeHttp& server);

// Sends `error` as an OpenAI-shaped JSON response (429 and 503 with Retry-After).
boost::asio::awaitable<void> send_error(http::Responder& responder, const struct ApiError& error);
boost::asio::awaitable<void> send_json(http::Responder& responder, int status, const nlohmann::json& body);

}  // namespace chrysalis::api
