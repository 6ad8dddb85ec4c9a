#include "http/node_web.h"

#include <spdlog/spdlog.h>

#include <mutex>

#include "api/openai_error.h"
#include "http/node_endpoints.h"

namespace chrysalis::http {
namespace {

constexpr std::string_view kAssetsPrefix = "/assets/";

// The page may talk only to its own node; TON Connect reaches wallets' bridges over https/wss, and
// Telegram shows Mini Apps in a frame of web.telegram.org.
const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
    "connect-src 'self' https: wss:; frame-ancestors 'self' https://web.telegram.org; base-uri 'none'; "
    "form-action 'self'; object-src 'none'";

bool accepts_gzip(const Request& req) {
  auto it = req.headers.find("accept-encoding");
  return it != req.headers.end() && it->second.find("gzip") != std::string::npos;
}

boost::asio::awaitable<void> send_asset(const WebAsset& a, const Request& req, Responder& res) {
  Headers headers = {{"Cache-Control", a.immutable ? "public, max-age=31536000, immutable" : "no-cache"},
                     {"X-Content-Type-Options", "nosniff"},
                     {"Referrer-Policy", "no-referrer"},
                     {"Vary", "Accept-Encoding"}};
  if (!a.immutable) headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
  const bool gzip = !a.gzip.empty() && accepts_gzip(req);
  if (gzip) headers.emplace_back("Content-Encoding", "gzip");
  std::string body = gzip ? a.gzip : a.body;
  co_await res.send(200, a.content_type, std::move(body), headers);
}

}  // namespace

bool is_web_path(std::string_view path) {
  return path == "/" || path == "/app" || path == "/app/" || path == "/dashboard" || path == "/dashboard/" ||
         (path.starts_with(kAssetsPrefix) && path.size() > kAssetsPrefix.size());
}

std::shared_ptr<const WebAssets> process_web_assets() {
  static std::once_flag once;
  static std::shared_ptr<const WebAssets> assets;
  std::call_once(once, [] {
    assets = std::make_shared<const WebAssets>(default_web_dir());
    if (assets->problem().empty())
      spdlog::info("web app: {} files, {} bytes from {}", assets->files(), assets->bytes(), assets->dir().string());
    else
      spdlog::info("web app not served: {}", assets->problem());
  });
  return assets;
}

boost::asio::awaitable<void> serve_web(const WebAssets& assets, const std::string& role, const Request& req,
                                       Responder& res) {
  if (req.path == "/" && role != "client") {
    Headers location = {{"Location", "/dashboard"}};
    co_await res.send(302, "text/plain; charset=utf-8", "see /dashboard\n", location);
    co_return;
  }
  const WebAsset* asset = nullptr;
  if (req.path.starts_with(kAssetsPrefix))
    asset = assets.asset(std::string_view(req.path).substr(kAssetsPrefix.size()));
  else
    asset = assets.index();
  if (asset) {
    co_await send_asset(*asset, req, res);
    co_return;
  }
  std::string why = assets.problem().empty() ? "no such file in the web app" : assets.problem();
  api::ApiError missing = api::invalid_request("web_app_missing", why + " (" + req.path + ")", {}, 404);
  co_await api::send_error(res, missing);
}

}  // namespace chrysalis::http
