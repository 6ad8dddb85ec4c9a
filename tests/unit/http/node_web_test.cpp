// A node's face for people: the web app served from memory (gzip, cache and security headers),
// pages of its own origin allowed to call it (DNS-rebinding origins not), /stats with the web
// face's limits, the live /stats/stream feed and the hour of /stats/history.
#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/metrics.h"
#include "http/http_client.h"
#include "http/node_endpoints.h"
#include "http/stats_history.h"
#include "http/web_assets.h"
#include "support/temp_dir.h"

namespace {

namespace asio = boost::asio;
using namespace chrysalis;
using namespace std::chrono_literals;

void write_file(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

std::string gunzip(const std::string& packed) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
  z.avail_in = static_cast<uInt>(packed.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

// A built web app as Vite leaves it: index.html and content-hashed assets.
struct BuiltApp {
  chrysalis::test::TempDir dir{"webapp"};
  std::string script = "console.log('chat');\n" + std::string(4000, ' ') + "export {};\n";
  BuiltApp() {
    write_file(dir.path() / "index.html", "<!doctype html><script type=module src=./assets/index-abc123.js></script>");
    write_file(dir.path() / "assets" / "index-abc123.js", script);
    write_file(dir.path() / "assets" / "logo-9f.svg", "<svg/>");
  }
};

TEST(WebAssets, ServesIndexAndAssetsByNameOnly) {
  BuiltApp app;
  http::WebAssets assets(app.dir.path());
  ASSERT_TRUE(assets.problem().empty()) << assets.problem();
  ASSERT_NE(assets.index(), nullptr);
  EXPECT_EQ(assets.files(), 3u);
  const http::WebAsset* js = assets.asset("index-abc123.js");
  ASSERT_NE(js, nullptr);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_TRUE(js->immutable);
  ASSERT_FALSE(js->gzip.empty()) << "a compressible file over 512 bytes is kept gzipped too";
  EXPECT_LT(js->gzip.size(), js->body.size());
  EXPECT_EQ(gunzip(js->gzip), app.script);
  const std::vector<std::string> bad_names = {"../index.html", ".hidden", "a/b.js", "", "missing.js", "x.js%00"};
  for (const auto& bad : bad_names)
    EXPECT_EQ(assets.asset(bad), nullptr) << bad;
}

TEST(WebAssets, AMissingBuildSaysHowToMakeIt) {
  chrysalis::test::TempDir empty("noweb");
  http::WebAssets assets(empty.path());
  EXPECT_EQ(assets.index(), nullptr);
  EXPECT_NE(assets.problem().find("make web"), std::string::npos) << assets.problem();
}

TEST(StatsHistory, EachIntervalHoldsItsOwnCountsAndLatencies) {
  Metrics m;
  http::StatsHistory history(m);
  m.add("requests", {{"outcome", "ok"}}, 5);  // before the baseline: not in any interval
  history.sample(1000);
  m.add("requests", {{"outcome", "ok"}}, 3);
  m.add("requests", {{"outcome", "timeout"}}, 1);
  m.add("tokens", {{"kind", "completion"}}, 120);
  m.add("tokens", {{"kind", "prompt"}}, 999);
  for (double ms : {10.0, 20.0, 30.0, 400.0}) m.observe("request_latency", {}, ms);
  history.sample(1010);
  m.observe("request_latency", {}, 7);
  history.sample(1020);
  auto j = history.json();
  EXPECT_EQ(j["resolution_s"], 10);
  EXPECT_EQ(j["t"], nlohmann::json::array({1010, 1020}));
  EXPECT_EQ(j["series"]["requests"], nlohmann::json::array({4.0, 0.0}));
  EXPECT_EQ(j["series"]["errors"], nlohmann::json::array({1.0, 0.0}));
  EXPECT_EQ(j["series"]["tokens"], nlohmann::json::array({120.0, 0.0}));
  EXPECT_EQ(j["series"]["latency_p99_ms"][0], 400.0);
  EXPECT_EQ(j["series"]["latency_p99_ms"][1], 7.0) << "only the interval's own observations";
  for (int i = 0; i < 400; ++i) history.sample(1030 + 10 * i);
  EXPECT_EQ(history.points(), http::StatsHistory::kPoints) << "an hour, then the oldest go";
}

TEST(LatencyWindow, LatestReadsNewestFirstAcrossTheRingsWrap) {
  LatencyWindow w(4);
  for (int i = 1; i <= 6; ++i) w.add(i);
  EXPECT_EQ(w.latest(3), (std::vector<double>{6, 5, 4}));
  EXPECT_EQ(w.latest(10), (std::vector<double>{6, 5, 4, 3}));
}

class NodeWebTest : public ::testing::Test {
 protected:
  void start(const std::string& role) {
    metrics_.add("requests", {{"outcome", "ok"}});
    node_ = api::start_node_http(
        io_, Endpoint{"127.0.0.1", 0}, "t_", [] { return nlohmann::json{{"role", "test"}}; }, metrics_, nullptr, {},
        {.role = role, .assets = std::make_shared<http::WebAssets>(app_.dir.path())});
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(node_->port()) + path; }
  template <typename Scenario>
  void run(Scenario scenario) {
    bool finished = false;
    std::exception_ptr failure;
    asio::co_spawn(io_, std::move(scenario), [&](std::exception_ptr e) {
      finished = true;
      failure = e;
      io_.stop();
    });
    io_.run_for(10s);
    ASSERT_TRUE(finished);
    if (failure) std::rethrow_exception(failure);
  }
  http::ClientRequest get(const std::string& path, http::Headers headers = {}) const {
    http::ClientRequest r;
    r.method = "GET";
    r.url = url(path);
    r.timeout = 3s;
    r.headers = std::move(headers);
    return r;
  }

  BuiltApp app_;
  asio::io_context io_;
  Metrics metrics_;
  std::unique_ptr<api::NodeHttp> node_;
};

TEST_F(NodeWebTest, AClientServesTheChatAppWithItsHeaders) {
  start("client");
  run([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    const std::vector<std::string> paths = {"/", "/app/", "/dashboard"};
    for (const auto& path : paths) {
      auto page_req = get(path);
      auto page = co_await http::http_fetch(ex, page_req);
      EXPECT_EQ(page.status, 200) << path;
      EXPECT_NE(page.body.find("index-abc123.js"), std::string::npos) << path;
      EXPECT_EQ(page.headers["cache-control"], "no-cache");
      EXPECT_NE(page.headers["content-security-policy"].find("default-src 'self'"), std::string::npos);
      EXPECT_EQ(page.headers["x-content-type-options"], "nosniff");
    }
    auto js_req = get("/assets/index-abc123.js", {{"Accept-Encoding", "gzip, br"}});
    auto js = co_await http::http_fetch(ex, js_req);
    EXPECT_EQ(js.status, 200);
    EXPECT_EQ(js.headers["content-encoding"], "gzip");
    EXPECT_NE(js.headers["cache-control"].find("immutable"), std::string::npos);
    EXPECT_EQ(gunzip(js.body), app_.script);
    auto plain_req = get("/assets/index-abc123.js");
    auto plain = co_await http::http_fetch(ex, plain_req);
    EXPECT_EQ(plain.headers.count("content-encoding"), 0u) << "gzip only for browsers that take it";
    EXPECT_EQ(plain.body, app_.script);
    auto missing_req = get("/assets/nope.js");
    auto missing = co_await http::http_fetch(ex, missing_req);
    EXPECT_EQ(missing.status, 404);
    auto sneaky_req = get("/assets/..%2Findex.html");
    auto sneaky = co_await http::http_fetch(ex, sneaky_req);
    EXPECT_EQ(sneaky.status, 404);
  });
}

TEST_F(NodeWebTest, OtherRolesLeadToTheDashboardAndShowTheirLimits) {
  start("proxy");
  run([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto root_req = get("/");
    auto root = co_await http::http_fetch(ex, root_req);
    EXPECT_EQ(root.status, 302);
    EXPECT_EQ(root.headers["location"], "/dashboard");
    auto stats_req = get("/stats");
    auto stats_res = co_await http::http_fetch(ex, stats_req);
    auto stats = nlohmann::json::parse(stats_res.body);
    EXPECT_EQ(stats["role"], "test");
    EXPECT_EQ(stats["web"]["app"], true);
    EXPECT_EQ(stats["web"]["stat_streams"]["limit"], api::NodeHttp::kMaxStatStreams);
    EXPECT_EQ(stats["web"]["history_points"]["limit"], http::StatsHistory::kPoints);
    auto history_req = get("/stats/history");
    auto history_res = co_await http::http_fetch(ex, history_req);
    auto history = nlohmann::json::parse(history_res.body);
    EXPECT_EQ(history["window_s"], 3600);
    EXPECT_TRUE(history["series"].contains("latency_p99_ms"));
  });
}

TEST_F(NodeWebTest, TheStatsStreamSendsEventsUntilThePeerLeaves) {
  start("worker");
  run([&]() -> asio::awaitable<void> {
    http::StreamingRequest request(co_await asio::this_coro::executor);
    std::string body;
    http::ResponseHead head;
    auto req = get("/stats/stream");
    req.timeout = 5s;
    auto result = co_await request.run(
        req, [&](const http::ResponseHead& h) { head = h; },
        [&](std::string_view data) {
          body.append(data);
          return body.find("\n\n", body.find("\n\n") + 2) == std::string::npos;  // stop after two events
        });
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.headers["content-type"], "text/event-stream");
    EXPECT_TRUE(body.starts_with("event: stats\ndata: {")) << body;
    if (body.find("data: ") == std::string::npos) co_return;
    auto first = body.substr(body.find("data: ") + 6);
    first = first.substr(0, first.find("\n\n"));
    EXPECT_EQ(nlohmann::json::parse(first)["web"]["stat_streams"]["open"], 1);
    (void)result;
  });
}

TEST_F(NodeWebTest, APageOfTheNodesOwnOriginMayCallItAForeignOneMayNot) {
  start("client");
  run([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    const std::string port = std::to_string(node_->port());
    auto own_req = get("/stats", {{"Origin", "http://127.0.0.1:" + port}});
    auto own = co_await http::http_fetch(ex, own_req);
    EXPECT_EQ(own.status, 200) << own.body;
    // DNS rebinding: evil.example resolves to 127.0.0.1, so Host and Origin agree, but they are not ours.
    auto rebound_req = get("/stats", {{"Origin", "http://evil.example:" + port}, {"Host", "evil.example:" + port}});
    auto rebound = co_await http::http_fetch(ex, rebound_req);
    EXPECT_EQ(rebound.status, 403) << rebound.body;
    auto foreign_req = get("/stats", {{"Origin", "https://evil.example"}});
    auto foreign = co_await http::http_fetch(ex, foreign_req);
    EXPECT_EQ(foreign.status, 403);
  });
}

}  // namespace
