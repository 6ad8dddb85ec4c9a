#pragma once
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

#include "common/endpoint.h"
#include "common/metrics.h"
#include "http/http_server.h"

namespace chrysalis::api {

// The HTTP face every node has: /healthz, /stats (JSON) and /metrics (Prometheus), plus the
// role's own routes in `role_routes` (may be null). Unknown paths get an OpenAI-shaped 404.
std::unique_ptr<http::Server> start_node_http(boost::asio::io_context& io, const Endpoint& at,
                                              const std::string& metrics_prefix, std::function<nlohmann::json()> stats,
                                              Metrics& metrics, http::Handler role_routes,
                                              http::ServerLimits limits = {});
void stop_node_http(http::Server& server);

// Sends `error` as an OpenAI-shaped JSON response (429 and 503 with Retry-After).
boost::asio::awaitable<void> send_error(http::Responder& responder, const struct ApiError& error);
boost::asio::awaitable<void> send_json(http::Responder& responder, int status, const nlohmann::json& body);

}  // namespace chrysalis::api
