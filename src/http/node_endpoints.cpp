#include "http/node_endpoints.h"

#include "api/openai_error.h"

namespace chrysalis::api {

namespace asio = boost::asio;

asio::awaitable<void> send_json(http::Responder& responder, int status, const nlohmann::json& body) {
  co_await responder.send(status, "application/json", body.dump());
}

asio::awaitable<void> send_error(http::Responder& responder, const ApiError& error) {
  // 429 (no capacity now) and 503 (a hop is restarting) pass: SDKs wait this long and retry.
  http::Headers headers;
  if (error.status == 429 || error.status == 503) headers.emplace_back("Retry-After", "1");
  co_await responder.send(error.status, "application/json", error.body(), headers);
}

std::unique_ptr<http::Server> start_node_http(asio::io_context& io, const Endpoint& at,
                                              const std::string& metrics_prefix, std::function<nlohmann::json()> stats,
                                              Metrics& metrics, http::Handler role_routes, http::ServerLimits limits) {
  auto handler = [stats, &metrics, metrics_prefix, role_routes](const http::Request& req,
                                                                http::Responder& res) -> asio::awaitable<void> {
    if (req.method == "GET" && req.path == "/healthz") {
      co_await res.send(200, "application/json", R"({"status":"ok"})");
    } else if (req.method == "GET" && req.path == "/stats") {
      co_await send_json(res, 200, stats());
    } else if (req.method == "GET" && req.path == "/metrics") {
      co_await res.send(200, "text/plain; version=0.0.4", metrics.prometheus(metrics_prefix));
    } else if (role_routes) {
      co_await role_routes(req, res);
    } else {
      co_await send_error(res, unknown_endpoint(req.method, req.path));
    }
  };
  auto server = std::make_unique<http::Server>(io, handler, limits);
  try {
    server->listen(at.host, at.port);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot serve HTTP on " + at.to_string() + ": " + e.what());
  }
  return server;
}

void stop_node_http(http::Server& server) { server.stop(); }

}  // namespace chrysalis::api
