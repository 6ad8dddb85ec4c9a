#pragma once
// Serving the web app (web/dist) from a node: which paths are the app's, and the response for one
// of them (index.html or a hashed asset, gzip when the browser takes it, cache and security headers).
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "http/http_server.h"
#include "http/web_assets.h"

namespace chrysalis::http {

// /, /app, /app/, /dashboard, /dashboard/ and /assets/<name>.
bool is_web_path(std::string_view path);

// The web app of this process (default_web_dir()), loaded at first use.
std::shared_ptr<const WebAssets> process_web_assets();

// `role` "client": / is the chat app; for other roles / redirects to /dashboard.
boost::asio::awaitable<void> serve_web(const WebAssets& assets, const std::string& role, const Request& req,
                                       Responder& res);

}  // namespace chrysalis::http
