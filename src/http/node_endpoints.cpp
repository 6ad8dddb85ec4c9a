#include "http/node_endpoints.h"

#include <spdlog/spdlog.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "api/openai_error.h"
#include "common/time.h"
#include "http/node_web.h"
#include "http/stats_history.h"
#include "http/web_assets.h"

namespace chrysalis::api {

namespace asio = boost::asio;

asio::awaitable<void> send_json(http::Responder& responder, int status, const nlohmann::json& body) {
  co_await responder.send(status, "application/json", body.dump());
}

asio::awaitable<void> send_error(http::Responder& responder, const ApiError& error) {
  // 429 (no capacity now) and 503 (a hop is restarting) pass: SDKs wait this long and retry.
  http::Headers headers;
  if (error.status == 429 || error.status == 503)
    headers.emplace_back("Retry-After", std::to_string(error.retry_after_s ? error.retry_after_s : 1));
  co_await responder.send(error.status, "application/json", error.body(), headers);
}

struct NodeHttp::Face {
  Face(std::string r, std::shared_ptr<const http::WebAssets> a, std::function<nlohmann::json()> s, const Metrics& m)
      : role(std::move(r)), assets(std::move(a)), stats(std::move(s)), history(m) {}
  std::string role;
  std::shared_ptr<const http::WebAssets> assets;
  std::function<nlohmann::json()> stats;
  http::StatsHistory history;
  std::size_t streams = 0;
  bool stopping = false;

  // /stats with what the web face itself holds, against its limits.
  nlohmann::json stats_with_web() const {
    nlohmann::json j = stats();
    if (!j.is_object()) return j;
    j["web"] = {{"app", assets->index() != nullptr},
                {"files", assets->files()},
                {"bytes", assets->bytes()},
                {"limits", {{"files", http::WebAssets::kMaxFiles}, {"bytes", http::WebAssets::kMaxBytes}}},
                {"stat_streams", {{"open", streams}, {"limit", kMaxStatStreams}}},
                {"history_points", {{"held", history.points()}, {"limit", http::StatsHistory::kPoints}}}};
    if (!assets->problem().empty()) j["web"]["problem"] = assets->problem();
    return j;
  }
};

namespace {

// Live /stats for the dashboard: one `stats` event a second until the peer or the node goes.
asio::awaitable<void> serve_stat_stream(std::shared_ptr<NodeHttp::Face> face, http::Responder& res) {
  if (face->streams >= NodeHttp::kMaxStatStreams) {
    ApiError busy = rate_limited("this node already serves " + std::to_string(NodeHttp::kMaxStatStreams) +
                                 " /stats/stream feeds; poll /stats instead");
    co_await send_error(res, busy);
    co_return;
  }
  ++face->streams;
  struct Release {
    NodeHttp::Face& f;
    ~Release() { --f.streams; }
  } release{*face};
  http::Headers headers = {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
  bool open = co_await res.begin_stream(200, "text/event-stream", headers);
  asio::steady_timer tick(co_await asio::this_coro::executor);
  while (open && !face->stopping) {
    std::string event = "event: stats\ndata: " + face->stats_with_web().dump() + "\n\n";
    open = co_await res.write(event);
    tick.expires_after(std::chrono::seconds(1));
    boost::system::error_code ec;
    co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (res.peer_gone()) open = false;
  }
  if (!res.peer_gone()) co_await res.end_stream();
}

}  // namespace

NodeHttp::NodeHttp(asio::io_context& io, const Endpoint& at, const std::string& metrics_prefix,
                   std::function<nlohmann::json()> stats, Metrics& metrics, http::Handler role_routes,
                   http::ServerLimits limits, NodeWebOptions web)
    : history_timer_(io) {
  auto assets = web.assets ? web.assets : http::process_web_assets();
  face_ = std::make_shared<Face>(web.role, std::move(assets), std::move(stats), metrics);
  auto handler = [face = face_, &metrics, metrics_prefix, role_routes](const http::Request& req,
                                                                       http::Responder& res) -> asio::awaitable<void> {
    const bool get = req.method == "GET";
    if (get && req.path == "/healthz") {
      co_await res.send(200, "application/json", R"({"status":"ok"})");
    } else if (get && req.path == "/stats") {
      co_await send_json(res, 200, face->stats_with_web());
    } else if (get && req.path == "/stats/stream") {
      co_await serve_stat_stream(face, res);
    } else if (get && req.path == "/stats/history") {
      co_await send_json(res, 200, face->history.json());
    } else if (get && req.path == "/metrics") {
      co_await res.send(200, "text/plain; version=0.0.4", metrics.prometheus(metrics_prefix));
    } else if (get && http::is_web_path(req.path)) {
      co_await http::serve_web(*face->assets, face->role, req, res);
    } else if (role_routes) {
      co_await role_routes(req, res);
    } else {
      co_await send_error(res, unknown_endpoint(req.method, req.path));
    }
  };
  server_ = std::make_unique<http::Server>(io, handler, limits);
  try {
    server_->listen(at.host, at.port);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot serve HTTP on " + at.to_string() + ": " + e.what());
  }
  face_->history.sample(unix_now_us() / 1'000'000);
  sample_later();
}

NodeHttp::~NodeHttp() { stop(); }

void NodeHttp::sample_later() {
  history_timer_.expires_after(std::chrono::seconds(http::StatsHistory::kResolutionS));
  history_timer_.async_wait([this, face = face_](boost::system::error_code ec) {
    if (ec || face->stopping) return;
    face->history.sample(unix_now_us() / 1'000'000);
    sample_later();
  });
}

void NodeHttp::stop() {
  if (!face_ || face_->stopping) return;
  face_->stopping = true;
  history_timer_.cancel();
  server_->stop();
}

uint16_t NodeHttp::port() const { return server_->port(); }

std::unique_ptr<NodeHttp> start_node_http(asio::io_context& io, const Endpoint& at, const std::string& metrics_prefix,
                                          std::function<nlohmann::json()> stats, Metrics& metrics,
                                          http::Handler role_routes, http::ServerLimits limits, NodeWebOptions web) {
  return std::make_unique<NodeHttp>(io, at, metrics_prefix, std::move(stats), metrics, std::move(role_routes),
                                    std::move(limits), std::move(web));
}

void stop_node_http(NodeHttp& server) { server.stop(); }

}  // namespace chrysalis::api
