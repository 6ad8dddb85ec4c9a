#include "worker/worker_node.h"

#include "api/embedding_answer.h"
#include "api/inference_request_check.h"
#include "attest/keys/node_signing_key.h"
#include "crypto/sha256.h"
#include "e2e/worker_side.h"
#include "worker/receipt_writer.h"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "api/openai_error.h"
#include "attest/policy/proxy_discovery.h"
#include "attest/ra_tls/attested_peer_verifier.h"
#include "attest/ra_tls/ra_tls_node.h"
#include "common/time.h"
#include "common/process_memory.h"
#include "common/url.h"
#include "crypto/tls_identity.h"
#include "http/admin_token.h"
#include "http/http_client.h"
#include "http/node_endpoints.h"
#include "net/tls_context.h"
#include "worker/engine_process.h"
#include "worker/inference_job.h"
#include "worker/worker_billing.h"

namespace chrysalis::worker {

namespace asio = boost::asio;

WorkerNode::WorkerNode(asio::io_context& io, WorkerConfig config)
    : io_(io), config_(std::move(config)), health_timer_(io), coefficient_(config_.coefficient) {}

WorkerNode::~WorkerNode() = default;

void WorkerNode::start() {
  started_at_us_ = unix_now_us();
  if (config_.engine_kind == "embedded") {
    EmbeddedEngineSettings s;
    s.script = locate_engine_script(config_.engine_script);
    s.model = config_.engine_model;
    s.model_name = config_.engine_model_name;
    s.port = config_.engine_port;
    s.threads = config_.engine_threads;
    s.pace_ms = config_.engine_pace_ms;
    s.context = config_.engine_context;
    s.parallel = static_cast<int>(std::min<uint32_t>(config_.max_concurrent, 16));
    std::filesystem::create_directories(config_.state_dir);
    s.log_file = config_.state_dir / "engine.log";
    engine_process_ = std::make_unique<EngineProcess>(io_.get_executor(), s);
    engine_process_->start();
  }

  // RA-TLS: our certificate binds the model we serve; the proxy we dial must be attested.
  std::string model_hash = config_.engine_kind == "embedded" ? attest::model_hash_of_file(config_.engine_model)
                                                             : config_.engine_model_sha256;
  attest::EngineMeasurement engine{"127.0.0.1"};
  if (config_.engine_kind != "embedded") {
    if (auto url = parse_url(config_.engine_url)) engine.host = url->host;
  }
  attestation_ = std::make_unique<attest::NodeAttestation>(io_.get_executor(), "worker", config_.id, model_hash,
                                                           config_.attestation, config_.state_dir, &engine);
  const auto& identity = attestation_->identity();
  model_hash_ = model_hash;
  signing_key_ = attest::node_signing_key(identity.key_pem);
  auto tls = attestation_->make_context(net::TlsSide::Client, "proxy");
  attestation_->start_renewal();
  if (config_.billing.enabled) {
    billing_ = std::make_unique<WorkerBilling>(io_.get_executor(), config_.billing, config_.attestation.registry,
                                               attestation_->chain_policy(), config_.state_dir);
    billing_->on_refusals_changed([this] { announce(); });  // a proxy refused or accepted again
    billing_->start();
  }
  net::ConnectionOptions opts;
  opts.local_role = proto::ROLE_WORKER;
  opts.node_id = config_.id;
  opts.pow = attestation_->dialer_pow();
  dialers_ = std::make_unique<net::DialerSet>(
      io_.get_executor(), tls, opts, [this](auto conn) { on_proxy_up(conn); },
      [this](const auto& conn, proto::Frame& f) { on_proxy_frame(conn, f); },
      [this](const auto& conn, const std::string& reason) { on_proxy_down(conn, reason); });
  // A proxy that left the root's list finishes what runs here (up to two minutes) first.
  dialers_->set_idle_check([this](const net::Connection& c) { return running_for(c.id()) == 0; }, 120'000);
  proxy_feed_ = std::make_unique<attest::ProxyTargetsFeed>(
      config_.proxies, attestation_->chain_policy(), attest::ProxySide::workers, config_.max_proxies,
      identity.public_key_hex,
      [this](std::vector<net::DialTarget> targets) { dialers_->set_targets(std::move(targets)); });
  proxy_feed_->start();

  admin_token_ = std::make_unique<http::AdminToken>(config_.state_dir);
  auto admin = [this](const http::Request& req, http::Responder& res) -> asio::awaitable<void> {
    if (req.path.rfind("/admin/", 0) == 0 && !admin_token_->admits(req)) {
      co_await api::send_error(res, api::invalid_api_key(admin_token_->refusal()));
      co_return;
    }
    if (req.method == "POST" && (req.path == "/admin/enable" || req.path == "/admin/disable")) {
      set_admin_enabled(req.path == "/admin/enable");
      nlohmann::json state = {{"enabled", enabled()}, {"admin_enabled", admin_enabled_}};
      co_await api::send_json(res, 200, state);
    } else if (req.method == "POST" && req.path == "/admin/coefficient") {
      auto it = req.query.find("value");
      char* end = nullptr;
      long long value = it == req.query.end() ? -1 : std::strtoll(it->second.c_str(), &end, 10);
      if (it == req.query.end() || it->second.empty() || *end != '\0' || value < 0 || value >= 1'000'000'000) {
        co_await api::send_error(res, api::invalid_request("invalid_coefficient",
                                                           "query parameter 'value' must be an integer in 0..999999999 "
                                                           "(1000 = 1.0x)",
                                                           "value"));
        co_return;
      }
      set_coefficient(static_cast<uint32_t>(value));
      nlohmann::json state = {{"coefficient", coefficient_}};
      co_await api::send_json(res, 200, state);
    } else if (req.method == "POST" && req.path == "/admin/claim") {
      if (!billing_) {
        co_await api::send_error(
            res, api::invalid_request("billing_disabled", "this worker has no [billing] section", "", 404));
        co_return;
      }
      // Everything signed and unclaimed, whatever the threshold.
      nlohmann::json claims = co_await billing_->claim(true);
      nlohmann::json body = {{"claims", claims}, {"billing", billing_->stats()}};
      co_await api::send_json(res, 200, body);
    } else {
      co_await api::send_error(res, api::unknown_endpoint(req.method, req.path));
    }
  };
  http_ = api::start_node_http(io_, config_.http, "chrysalis_worker_", [this] { return stats(); }, metrics_, admin,
                               http::ServerLimits{.cors_origins = config_.cors_origins}, {.role = "worker"});
  schedule_health_check();
  spdlog::info("worker {} up: model={} coefficient={} max_concurrent={} engine={} http={} key={}", config_.id,
               config_.model, coefficient_, config_.max_concurrent, config_.engine_url, config_.http.to_string(),
               identity.public_key_hex);
}

void WorkerNode::stop() {
  stopping_ = true;
  health_timer_.cancel();
  for (auto& [key, job] : jobs_) job->cancel("worker shutting down");
  proxy_feed_.reset();
  if (dialers_) dialers_->stop();
  if (attestation_) attestation_->stop();
  if (billing_) billing_->stop();
  if (http_) api::stop_node_http(*http_);
  if (engine_process_) engine_process_->stop();
}

std::string WorkerNode::disabled_reason() const {
  if (!admin_enabled_) return "disabled by operator";
  if (!engine_healthy_) return engine_problem_;
  if (attestation_) {
    if (std::string problem = attestation_->serving_problem(); !problem.empty()) return problem;
  }
  return "";
}

void WorkerNode::set_coefficient(uint32_t coefficient) {
  coefficient_ = coefficient;
  spdlog::info("coefficient set to {}", coefficient);
  announce();
}

void WorkerNode::set_admin_enabled(bool enabled) {
  admin_enabled_ = enabled;
  spdlog::info("worker {} by operator", enabled ? "enabled" : "disabled");
  announce();
}

void WorkerNode::announce_to(net::Connection& conn) {
  proto::Frame frame;
  auto* s = frame.mutable_worker_state();
  s->set_model(config_.model);
  s->set_embeddings(config_.engine_embeddings);
  s->set_coefficient(coefficient_);
  s->set_max_concurrent(capacity_.share(conn.id()));
  s->set_enabled(enabled());
  s->set_disabled_reason(disabled_reason());
  if (billing_) {
    s->set_owner_address(billing_->owner_address());
    *s->mutable_owner_proof() =
        billing_->owner_proof(attestation_->identity().public_key_hex, conn.peer_identity().public_key_hex);
    if (auto refusal = billing_->refusal(conn.peer_identity().public_key_hex); !refusal.empty()) {
      s->set_enabled(false);
      s->set_disabled_reason("this worker no longer serves this proxy: " + refusal);
    }
  }
  conn.send(frame);
}

uint32_t WorkerNode::running_for(uint64_t conn) const {
  auto first = jobs_.lower_bound({conn, 0});
  uint32_t n = 0;
  for (auto it = first; it != jobs_.end() && it->first.first == conn; ++it) ++n;
  return n;
}

// New shares from the recent load; proxies whose share changed are told (`except` is told by
// its caller).
void WorkerNode::rebalance_capacity(uint64_t except) {
  if (!dialers_) return;
  std::map<uint64_t, uint32_t> running;
  for (auto& [key, job] : jobs_) ++running[key.first];
  auto changed = capacity_.rebalance(running);
  for (auto& c : dialers_->open_connections())
    if (c->id() != except && std::find(changed.begin(), changed.end(), c->id()) != changed.end()) announce_to(*c);
}

void WorkerNode::announce() {
  announced_enabled_ = enabled();
  if (dialers_)
    for (auto& c : dialers_->open_connections()) announce_to(*c);
}

void WorkerNode::on_proxy_up(const std::shared_ptr<net::Connection>& conn) {
  spdlog::info("connected to proxy {} at {} (protocol v{})", conn->peer_node_id(), conn->remote(), conn->version());
  metrics_.add("proxy_connects", {{"proxy", conn->peer_node_id()}});
  attestation_->watch(conn, "proxy");
  capacity_.add(conn->id());
  rebalance_capacity(conn->id());
  announce_to(*conn);
  ask_market(*conn);
}

void WorkerNode::ask_market(net::Connection& conn) {
  proto::Frame query;
  query.mutable_models_query();
  conn.send(query);
}

void WorkerNode::on_proxy_down(const std::shared_ptr<net::Connection>& conn, const std::string& reason) {
  spdlog::warn("lost proxy {} ({}): {}", conn->peer_node_id(), conn->remote(), reason);
  market_.erase(conn->id());
  capacity_.remove(conn->id());
  std::vector<std::shared_ptr<InferenceJob>> orphaned;
  for (auto& [key, job] : jobs_)
    if (key.first == conn->id()) orphaned.push_back(job);
  for (auto& job : orphaned) job->cancel("proxy connection lost");
}

void WorkerNode::on_proxy_frame(const std::shared_ptr<net::Connection>& conn, proto::Frame& frame) {
  if (frame.stream() == 0 && (frame.has_billing_info() || frame.has_payment_update())) {
    if (billing_) billing_->on_proxy_frame(conn, frame);
    return;
  }
  if (frame.stream() == 0 && frame.has_models_reply()) {  // the market for our model, as this proxy sees it
    const auto& models = frame.models_reply().models();
    if (models.size() == 1 && models[0].id() == config_.model &&
        models[0].dispatched_size() <= static_cast<int>(kMaxMarketBands))
      market_[conn->id()] = models[0];
    return;
  }
  if (frame.stream() == 0 || frame.stream() % 2 == 1) {
    conn->close("protocol violation: proxy frames must use even stream ids");
    return;
  }
  std::pair<uint64_t, uint64_t> key{conn->id(), frame.stream()};
  if (frame.has_request()) {
    if (jobs_.count(key)) {
      conn->close("protocol violation: stream " + std::to_string(frame.stream()) + " reused");
      return;
    }
    start_job(conn, frame.stream(), std::move(*frame.mutable_request()));
  } else if (frame.has_cancel()) {
    if (auto it = jobs_.find(key); it != jobs_.end()) it->second->cancel(frame.cancel().reason());
  } else {
    conn->close("protocol violation: unexpected message from proxy");
  }
}

void WorkerNode::start_job(const std::shared_ptr<net::Connection>& conn, uint64_t stream,
                           proto::InferenceRequest request) {
  auto reply_error = [&](uint32_t status, const std::string& code, const std::string& message) {
    proto::Frame f;
    f.set_stream(stream);
    auto* e = f.mutable_error();
    e->set_http_status(status);
    e->set_type(status == 400 || status == 413 ? "invalid_request_error" : "server_error");
    e->set_code(code);
    e->set_message(message);
    e->set_hop("worker");
    conn->send(f);
    metrics_.add("requests", {{"outcome", code}});
  };
  if (billing_)
    if (auto refusal = billing_->refusal(conn->peer_identity().public_key_hex); !refusal.empty())
      return reply_error(503, "proxy_dropped", "worker " + config_.id + " no longer serves this proxy: " + refusal);
  if (!enabled())
    return reply_error(503, "worker_disabled", "worker " + config_.id + " is disabled: " + disabled_reason());
  nlohmann::json body;  // the proxy is not trusted to have checked what it relays
  const api::InferenceRequestBounds bounds{config_.max_tokens_limit, config_.max_request_bytes,
                                           api::kMaxRequestTimeoutMs};
  auto refused = [&](const api::RequestRefusal& refusal) {
    spdlog::warn("refused request from proxy {}: {}", conn->peer_node_id(), refusal.message);
    reply_error(refusal.http_status, refusal.code, "worker " + config_.id + ": " + refusal.message);
  };
  if (auto refusal = api::check_inference_request(request, bounds, body)) return refused(*refusal);
  // What arrived, as the receipt names it: the sealed body the client sent, or the plain one.
  std::string request_hash = crypto::sha256(request.e2e() ? request.sealed().ciphertext() : request.body());
  std::shared_ptr<e2e::AnswerSealer> sealer;
  // Plaintext: the proxy sees the text, so the spot hash needs no salt. E2E: the client's salt, if any.
  std::optional<std::string> spot_salt = std::string();
  if (request.e2e()) {
    if (auto refusal = open_e2e(request, sealer, *spot_salt)) return refused(*refusal);
    if (auto refusal = api::check_inference_request(request, bounds, body)) return refused(*refusal);
    if (!body.contains("model") || body["model"] != request.model())
      return refused({400, "e2e_model_mismatch", "the sealed body names another model than the request declares"});
    if (auto refusal = e2e::check_spot_flag(request, body, *spot_salt)) return refused(*refusal);
    if (spot_salt->empty()) spot_salt.reset();
  }
  if (jobs_.size() >= config_.max_concurrent)
    return reply_error(429, "worker_busy",
                       "worker " + config_.id + " is at its limit of " + std::to_string(config_.max_concurrent) +
                           " concurrent requests");
  // Each proxy keeps to the share it was told, so one proxy cannot take the slots of the others.
  if (uint32_t share = capacity_.share(conn->id()); running_for(conn->id()) >= share)
    return reply_error(429, "worker_busy",
                       "this proxy already runs " + std::to_string(running_for(conn->id())) + " requests on worker " +
                           config_.id + ", its share of " + std::to_string(share) + " slots");
  capacity_.started(conn->id());
  JobSettings settings;
  settings.engine_url = config_.engine_url;
  if (config_.engine_max_idle_connections) settings.engine_pool = &engine_pool_;
  settings.engine_model_name = config_.engine_model_name;
  settings.worker_id = config_.id;
  settings.coefficient = coefficient_;
  settings.max_timeout_ms = config_.request_timeout_s * 1000;
  std::weak_ptr<net::Connection> weak = conn;
  auto receipt = std::make_shared<ReceiptWriter>(
      ReceiptFacts{request.request_id(), request_hash, sealer ? sealer->receipt_salt() : "", std::move(spot_salt),
                   model_hash_, coefficient_},
      signing_key_, static_cast<uint64_t>(unix_now_us() / 1000));
  auto send = [weak, stream, sealer, receipt](proto::Frame& f) {
    receipt->observe(f);  // before sealing: the receipt hashes the answer's text
    if (sealer) sealer->seal(f);
    f.set_stream(stream);
    if (auto c = weak.lock()) c->send(f);
  };
  auto texts = [receipt](const std::vector<std::string>& t) { receipt->add_answer_texts(t); };
  auto job = std::make_shared<InferenceJob>(std::move(request), settings, send, texts);
  std::pair<uint64_t, uint64_t> key{conn->id(), stream};
  jobs_[key] = job;
  metrics_.set("running", {}, static_cast<double>(jobs_.size()));
  asio::co_spawn(
      io_,
      [this, job, key]() -> asio::awaitable<void> {
        JobOutcome outcome = co_await job->run();
        jobs_.erase(key);
        metrics_.set("running", {}, static_cast<double>(jobs_.size()));
        metrics_.add("requests", {{"outcome", outcome.name}});
        metrics_.add("tokens", {{"kind", "prompt"}}, static_cast<double>(outcome.usage.prompt));
        metrics_.add("tokens", {{"kind", "cached"}}, static_cast<double>(outcome.usage.cached));
        metrics_.add("tokens", {{"kind", "completion"}}, static_cast<double>(outcome.usage.completion));
        metrics_.add("tokens", {{"kind", "reasoning"}}, static_cast<double>(outcome.usage.reasoning));
        if (outcome.total_ms > 0) metrics_.observe("request_latency", {}, outcome.total_ms);
        if (outcome.ttft_ms > 0) metrics_.observe("time_to_first_token", {}, outcome.ttft_ms);
      },
      asio::detached);
}

std::optional<api::RequestRefusal> WorkerNode::open_e2e(proto::InferenceRequest& request,
                                                        std::shared_ptr<e2e::AnswerSealer>& sealer,
                                                        std::string& spot_salt) {
  const crypto::X25519KeyPair* key = attestation_ ? attestation_->e2e_key() : nullptr;
  if (!key) return api::RequestRefusal{421, "e2e_unsupported", "this worker has no e2e key"};
  metrics_.add("e2e_requests", {});
  return e2e::open_request(request, *key, attestation_->identity().public_key_hex, sealer, spot_salt);
}

void WorkerNode::schedule_health_check() {
  if (stopping_) return;
  asio::co_spawn(io_, check_engine_health(), asio::detached);
}

asio::awaitable<void> WorkerNode::check_engine_health() {
  bool healthy = false;
  std::string problem;
  auto result =
      co_await http::http_get(io_.get_executor(), config_.engine_url + "/v1/models", std::chrono::seconds(10));
  if (!result.ok())
    problem = "engine unreachable: " + result.message;
  else if (result.status != 200)
    problem = "engine answered GET /v1/models with HTTP " + std::to_string(result.status);
  else
    healthy = true;
  if (healthy != engine_healthy_) {
    if (healthy)
      spdlog::info("engine at {} is healthy", config_.engine_url);
    else
      spdlog::warn("engine at {} is down: {}", config_.engine_url, problem);
    engine_healthy_ = healthy;
    engine_pool_.clear();  // connections to an engine that went down (or came back) are not reused
    engine_problem_ = problem;
    announce();
  } else if (enabled() != announced_enabled_) {
    announce();  // e.g. the registry went stale or became fresh again
  }
  engine_problem_ = problem;
  rebalance_capacity(0);
  if (int64_t now = steady_now_us(); now - market_asked_us_ >= kMarketQueryUs) {
    market_asked_us_ = now;
    for (auto& c : dialers_->open_connections()) ask_market(*c);
  }
  if (stopping_) co_return;
  health_timer_.expires_after(std::chrono::milliseconds(engine_healthy_ ? config_.health_interval_ms : 500));
  boost::system::error_code ec;
  co_await health_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) schedule_health_check();
}

// Which prices win this proxy's traffic for our model, beside our own price.
nlohmann::json WorkerNode::market_json(uint64_t conn) const {
  auto it = market_.find(conn);
  if (it == market_.end()) return nullptr;
  const proto::ModelInfo& m = it->second;
  nlohmann::json bands = nlohmann::json::object();
  for (const auto& b : m.dispatched()) bands[std::to_string(b.coefficient())] = b.requests();
  return {{"workers", m.workers()},
          {"min_coefficient", m.min_coefficient()},
          {"max_coefficient", m.max_coefficient()},
          {"running", m.running()},
          {"capacity", m.capacity()},
          {"our_coefficient", coefficient_},
          {"dispatched_by_coefficient", bands}};
}

nlohmann::json WorkerNode::stats() const {
  nlohmann::json proxies = nlohmann::json::array();
  for (auto& e : dialers_ ? dialers_->entries() : std::vector<net::DialerSet::Entry>{}) {
    auto& d = e.dialer;
    auto c = d->connection();
    proxies.push_back({{"target", d->target().to_string()},
                       {"source", e.target.source},
                       {"retiring", e.retiring},
                       {"capacity_share", c ? capacity_.share(c->id()) : 0},
                       {"connected", c && c->open()},
                       {"proxy_id", c ? c->peer_node_id() : ""},
                       {"rtt_ms", c ? c->rtt_us() / 1000.0 : -1},
                       {"last_error", d->last_error()},
                       {"attempts", d->attempts()},
                       {"attestation", c ? attest::peer_attestation_json(c->peer_identity()) : nlohmann::json()},
                       {"market", c ? market_json(c->id()) : nlohmann::json()}});
  }
  return {{"role", "worker"},
          {"id", config_.id},
          {"model", config_.model},
          {"coefficient", coefficient_},
          {"max_concurrent", config_.max_concurrent},
          {"capacity_split", capacity_.stats()},
          {"proxy_discovery", proxy_feed_ ? proxy_feed_->stats() : nlohmann::json()},
          {"proxy_dialers", dialers_ ? dialers_->stats() : nlohmann::json()},
          {"running", jobs_.size()},
          {"enabled", enabled()},
          {"disabled_reason", disabled_reason()},
          {"uptime_s", (unix_now_us() - started_at_us_) / 1000000},
          {"memory", process_memory_json()},
          {"engine",
           {{"kind", config_.engine_kind},
            {"url", config_.engine_url},
            {"healthy", engine_healthy_},
            {"problem", engine_problem_},
            {"embeddings", config_.engine_embeddings},
            {"max_embeddings_answer_bytes", api::kMaxEmbeddingAnswerBytes},
            {"restarts", engine_process_ ? engine_process_->restarts() : 0},
            {"connections", engine_pool_.stats()}}},
          {"proxies", proxies},
          {"attestation", attestation_ ? attestation_->stats() : nlohmann::json()},
          {"billing", billing_ ? billing_->stats() : nlohmann::json{{"enabled", false}}},
          {"metrics", metrics_.json()}};
}

}  // namespace chrysalis::worker
