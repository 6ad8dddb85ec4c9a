#include "client/client_node.h"

#include <spdlog/spdlog.h>

#include "api/openai_error.h"
#include "api/openai_request.h"
#include "attest/policy/model_names.h"
#include "attest/policy/proxy_discovery.h"
#include "attest/ra_tls/ra_tls_node.h"
#include "client/answer_resume.h"
#include "client/client_billing.h"
#include "common/random.h"
#include "common/process_memory.h"
#include "common/time.h"
#include "common/url.h"
#include "crypto/tls_identity.h"
#include "http/admin_token.h"
#include "http/node_endpoints.h"
#include "net/tls_context.h"

namespace chrysalis::client {

namespace asio = boost::asio;

constexpr std::string_view kModelPrefix = "/v1/models/";
constexpr std::string_view kResponsesPath = "/v1/responses";

ClientNode::ClientNode(asio::io_context& io, ClientConfig config) : io_(io), config_(std::move(config)) {}
ClientNode::~ClientNode() = default;

void ClientNode::start() {
  started_at_us_ = unix_now_us();
  // Clients run outside TEEs: their certificate carries claims but (normally) no quote; the
  // proxies they dial must be attested.
  attestation_ = std::make_unique<attest::NodeAttestation>(io_.get_executor(), "client", config_.id, "",
                                                           config_.attestation, config_.state_dir);
  const auto& identity = attestation_->identity();
  model_names_ = std::make_unique<attest::ModelNames>(config_.attestation.model_names);
  affinity_salt_ = random_hex(32);
  if (config_.e2e != e2e::Mode::off && model_names_->hashes().empty())
    spdlog::warn(
        "client: [attestation] models is empty — e2e checks a worker's model hash only against the allowed "
        "models, not against the model name a request asks for");
  auto tls = attestation_->make_context(net::TlsSide::Client, "proxy");
  attestation_->start_renewal();
  net::ConnectionOptions opts;
  opts.local_role = proto::ROLE_CLIENT;
  opts.node_id = config_.id;
  opts.pow = attestation_->dialer_pow();
  pool_ = std::make_unique<ProxyPool>(io_, tls, opts);
  if (config_.billing.enabled) {
    billing_ = std::make_unique<ClientBilling>(io_.get_executor(), config_.billing, config_.attestation.registry,
                                               attestation_->chain_policy(), identity.public_key_hex);
    billing_->start();
  }
  pool_->set_connection_hooks(
      [this](const auto& conn) {
        attestation_->watch(conn, "proxy");  // the proxy must keep passing our policy while we use it
        if (billing_) billing_->on_proxy_up(conn);
      },
      [this](const auto& conn, const proto::Frame& f) {
        if (billing_) billing_->on_proxy_frame(conn, f);
      });
  proxy_feed_ = std::make_unique<attest::ProxyTargetsFeed>(
      config_.proxies, attestation_->chain_policy(), attest::ProxySide::clients, config_.max_proxies,
      identity.public_key_hex, [this](std::vector<net::DialTarget> targets) { pool_->set_targets(std::move(targets)); });
  proxy_feed_->start();
  http::ServerLimits limits;
  limits.max_body_bytes = config_.max_body_bytes;
  limits.cors_origins = config_.cors_origins;
  admin_token_ = std::make_unique<http::AdminToken>(config_.state_dir);
  http_ = api::start_node_http(
      io_, config_.http, "chrysalis_client_", [this] { return stats(); }, metrics_,
      [this](const http::Request& req, http::Responder& res) { return route(req, res); }, limits,
      {.role = "client"});
  spdlog::info("client {} up: OpenAI API on http://{} via {}, key {}", config_.id, config_.http.to_string(),
               config_.proxies.empty() ? "the proxies the root contract lists"
                                       : std::to_string(config_.proxies.size()) + " configured proxies",
               identity.public_key_hex);
}

void ClientNode::stop() {
  proxy_feed_.reset();
  if (pool_) pool_->stop();
  if (billing_) billing_->stop();
  if (attestation_) attestation_->stop();
  if (http_) api::stop_node_http(*http_);
}

bool ClientNode::authorized(const http::Request& req) const {
  if (config_.api_keys.empty()) return true;
  auto it = req.headers.find("authorization");
  if (it == req.headers.end()) return false;
  const std::string prefix = "Bearer ";
  if (it->second.rfind(prefix, 0) != 0) return false;
  return config_.api_keys.count(it->second.substr(prefix.size())) > 0;
}

asio::awaitable<void> ClientNode::route(const http::Request& req, http::Responder& res) {
  if (req.path.rfind("/v1/", 0) == 0 && !authorized(req)) {
    metrics_.add("requests", {{"outcome", "unauthorized"}});
    co_await api::send_error(res, api::invalid_api_key());
  } else if (req.path.rfind("/admin/", 0) == 0 && !admin_token_->admits(req)) {
    metrics_.add("requests", {{"outcome", "unauthorized"}});
    co_await api::send_error(res, api::invalid_api_key(admin_token_->refusal()));
  } else if (req.method == "GET" && req.path == "/v1/models") {
    co_await serve_models(res, std::nullopt);
  } else if (req.method == "GET" && req.path.rfind(kModelPrefix, 0) == 0 && req.path.size() > kModelPrefix.size()) {
    co_await serve_models(res, percent_decode(req.path.substr(kModelPrefix.size()), false));
  } else if (req.method == "POST" && (api::api_kind_for_path(req.path) || req.path == kResponsesPath)) {
    ++in_flight_;
    try {
      if (req.path == kResponsesPath)
        co_await serve_response(req, res);
      else
        co_await serve_completion(req, res);
    } catch (...) {
      --in_flight_;
      throw;
    }
    --in_flight_;
  } else if (req.path.rfind("/admin/", 0) == 0) {
    co_await serve_admin(req, res);
  } else if (api::api_kind_for_path(req.path) || req.path == kResponsesPath || req.path == "/v1/models") {
    co_await api::send_error(
        res, api::invalid_request("method_not_allowed", req.method + " is not allowed on " + req.path, "", 405));
  } else {
    co_await api::send_error(res, api::unknown_endpoint(req.method, req.path));
  }
}

// GET /v1/models lists every model the proxies serve; GET /v1/models/{id} answers for one, 404 if
// no connected proxy has a worker for it.
asio::awaitable<void> ClientNode::serve_models(http::Responder& res, std::optional<std::string> only) {
  struct Aggregate {
    uint32_t workers = 0, min_coef = UINT32_MAX, max_coef = 0, running = 0, capacity = 0, proxies = 0;
    double best_reputation = -1;  // over every proxy's workers whose table this client verified
    nlohmann::json reputation = nlohmann::json::array();  // per proxy: what its verified table says
  };
  std::map<std::string, Aggregate> models;
  auto proxies = pool_->ready();
  if (proxies.empty()) {
    co_await api::send_error(
        res, api::service_unavailable("client->proxy", "no proxy connected (" + pool_->unavailable_reason() + ")"));
    co_return;
  }
  for (auto& conn : proxies) {
    auto [stream, queue] = pool_->open_stream(conn);
    proto::Frame query;
    query.set_stream(stream);
    query.mutable_models_query();
    conn->send(query);
    auto event = co_await queue->pop(std::chrono::steady_clock::now() + std::chrono::seconds(5));
    pool_->close_stream(conn->id(), stream);
    if (!event || event->connection_lost || !event->frame.has_models_reply()) continue;
    // The proxy's figures count only once its signed table has been checked here.
    std::string model_filter = only.value_or("");
    CheckedReputation checked = co_await checked_reputation(conn, model_filter);
    for (auto& m : event->frame.models_reply().models()) {
      auto& a = models[m.id()];
      a.workers += m.workers();
      if (m.workers()) {
        a.min_coef = std::min(a.min_coef, m.min_coefficient());
        a.max_coef = std::max(a.max_coef, m.max_coefficient());
      }
      a.running += m.running();
      a.capacity += m.capacity();
      a.proxies++;
      if (checked.verified) a.best_reputation = std::max(a.best_reputation, m.reputation_best());
      nlohmann::json r = checked.model_json(m.id());
      r["proxy"] = conn->peer_node_id();
      a.reputation.push_back(std::move(r));
    }
  }
  if (only && !models.count(*only)) {
    auto missing = api::invalid_request("model_not_found",
                                        "the model '" + *only + "' is not served by any connected proxy", "model", 404);
    co_await api::send_error(res, missing);
    co_return;
  }
  nlohmann::json data = nlohmann::json::array();
  for (auto& [id, a] : models) {
    if (only && id != *only) continue;
    nlohmann::json entry = {
        {"id", id},
        {"object", "model"},
        {"created", 0},
        {"owned_by", "chrysalis"},
        {"workers", a.workers},
        {"coefficient_min", a.workers ? a.min_coef : 0},
        {"coefficient_max", a.max_coef},
        {"running", a.running},
        {"capacity", a.capacity},
        {"proxies", a.proxies},
        {"reputation_best", a.best_reputation < 0 ? nlohmann::json() : nlohmann::json(a.best_reputation)},
        {"reputation", a.reputation},
        // What this client checked itself, not what the proxies say: workers whose certificate
        // passed our policy and whose signed receipts held.
        {"verified_by_client", verified_workers_.for_model(id)}};
    data.push_back(entry);
  }
  // Built outside co_await: GCC 12 coroutine bug.
  nlohmann::json body = only ? data.at(0) : nlohmann::json{{"object", "list"}, {"data", data}};
  co_await api::send_json(res, 200, body);
}

nlohmann::json ClientNode::stats() const {
  return {{"role", "client"},
          {"id", config_.id},
          {"uptime_s", (unix_now_us() - started_at_us_) / 1000000},
          {"memory", process_memory_json()},
          {"in_flight", in_flight_},
          {"proxies", pool_->stats()},
          {"proxy_discovery", proxy_feed_ ? proxy_feed_->stats() : nlohmann::json()},
          {"proxy_dialers", pool_->dialer_stats()},
          {"attestation", attestation_ ? attestation_->stats() : nlohmann::json()},
          {"billing", billing_ ? billing_->stats() : nlohmann::json{{"enabled", false}}},
          {"e2e",
           {{"mode", e2e::mode_name(config_.e2e)},
            {"model_names_checked", model_names_ && !model_names_->hashes().empty()},
            {"max_seals_per_request", e2e::ClientExchange::kMaxSeals}}},
          {"receipts", {{"kept", receipts_.size()}, {"limit", config_.receipts_kept}, {"seen", receipts_seen_}}},
          {"verified_workers", verified_workers_.stats()},
          {"reputation_tables", {{"cached", checked_tables_.size()}, {"limit", kMaxCheckedTables}}},
          {"resume", {{"max_resumes", config_.max_resumes}, {"max_kept_bytes", AnswerResume::kMaxKeptBytes}}},
          {"metrics", metrics_.json()}};
}

}  // namespace chrysalis::client
