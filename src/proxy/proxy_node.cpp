#include "proxy/proxy_node.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "attest/ra_tls/attested_peer_verifier.h"
#include "attest/ra_tls/ra_tls_node.h"
#include "common/time.h"
#include "crypto/tls_identity.h"
#include "http/node_endpoints.h"
#include "net/tls_context.h"
#include "proxy/proxy_billing.h"
#include "proxy/worker_selector.h"

namespace chrysalis::proxy {

namespace asio = boost::asio;

ProxyNode::ProxyNode(asio::io_context& io, ProxyConfig config) : io_(io), config_(std::move(config)) {}
ProxyNode::~ProxyNode() = default;

void ProxyNode::start() {
  started_at_us_ = unix_now_us();
  routing_ = std::make_unique<RoutingState>(config_.routing, config_.state_dir / "reputation.sqlite");
  spdlog::info("routing policy {}, {} worker reputations loaded", config_.routing.policy, routing_->loaded());
  // RA-TLS: workers must be attested; clients are known by key. Both listeners demand
  // proof of work before any TLS work.
  attestation_ = std::make_unique<attest::NodeAttestation>(io_.get_executor(), "proxy", config_.id, "",
                                                           config_.attestation, config_.state_dir);
  const auto& identity = attestation_->identity();
  auto worker_tls = attestation_->make_context(net::TlsSide::Server, "worker");
  auto client_tls = attestation_->make_context(net::TlsSide::Server, "client");
  attestation_->start_renewal();
  if (config_.billing.enabled) {
    billing_ = std::make_unique<ProxyBilling>(io_.get_executor(), config_.billing, config_.attestation.registry,
                                              attestation_->chain_policy(), identity.key_pem, config_.state_dir);
    billing_->start([this] { send_payment_updates(); }, [this](const std::string& c) { send_client_info(c); },
                    [this] {
                      for (auto& [id, w] : workers_) bind_worker_owner(w, w.owner);
                    });
  }

  net::ConnectionOptions worker_opts;
  worker_opts.local_role = proto::ROLE_PROXY;
  worker_opts.node_id = config_.id;
  worker_opts.accepted_peer_roles = {proto::ROLE_WORKER};
  worker_opts.pow = attestation_->listener_pow();
  worker_listener_ = std::make_unique<net::Listener>(io_, worker_tls, worker_opts,
                                                     [this](auto conn) { on_worker_connected(std::move(conn)); });
  worker_listener_->listen(config_.worker_listen);

  net::ConnectionOptions client_opts = worker_opts;
  client_opts.accepted_peer_roles = {proto::ROLE_CLIENT};
  client_listener_ = std::make_unique<net::Listener>(io_, client_tls, client_opts,
                                                     [this](auto conn) { on_client_connected(std::move(conn)); });
  client_listener_->listen(config_.client_listen);

  http_ = api::start_node_http(
      io_, config_.http, "chrysalis_proxy_", [this] { return stats(); }, metrics_, nullptr);
  spdlog::info("proxy {} up: workers on {}, clients on {}, http on {}, key {}", config_.id,
               config_.worker_listen.to_string(), config_.client_listen.to_string(), config_.http.to_string(),
               identity.public_key_hex);
}

void ProxyNode::stop() {
  if (routing_) routing_->save(true);
  if (worker_listener_) worker_listener_->stop();
  if (client_listener_) client_listener_->stop();
  if (attestation_) attestation_->stop();
  if (billing_) billing_->stop();
  if (http_) api::stop_node_http(*http_);
  auto workers = workers_;
  for (auto& [id, w] : workers) w.conn->close("proxy shutting down");
  auto clients = clients_;
  for (auto& [id, c] : clients) c->close("proxy shutting down");
}

// ---- connections ----

void ProxyNode::on_worker_connected(std::shared_ptr<net::Connection> conn) {
  uint64_t id = conn->id();
  WorkerEntry entry;
  entry.conn = conn;
  entry.id = conn->peer_node_id();
  workers_[id] = entry;
  metrics_.add("connections_accepted", {{"role", "worker"}});
  spdlog::info("worker {} connected from {} conn={} key={}", entry.id, conn->remote(), id,
               conn->peer_identity().public_key_hex);
  conn->start(
      [this, weak = std::weak_ptr(conn)](proto::Frame& f) {
        if (auto c = weak.lock()) on_worker_frame(c, f);
      },
      [this, id](const std::string& reason) { on_worker_closed(id, reason); });
}

void ProxyNode::on_client_connected(std::shared_ptr<net::Connection> conn) {
  uint64_t id = conn->id();
  clients_[id] = conn;
  metrics_.add("connections_accepted", {{"role", "client"}});
  spdlog::info("client {} connected from {} conn={}", conn->peer_node_id(), conn->remote(), id);
  conn->start(
      [this, weak = std::weak_ptr(conn)](proto::Frame& f) {
        if (auto c = weak.lock()) on_client_frame(c, f);
      },
      [this, id](const std::string& reason) { on_client_closed(id, reason); });
}

void ProxyNode::on_worker_closed(uint64_t conn_id, const std::string& reason) {
  auto it = workers_.find(conn_id);
  if (it == workers_.end()) return;
  spdlog::warn("worker {} disconnected: {}", it->second.id, reason);
  workers_.erase(it);
  drop_spot_runs(conn_id);
  drop_draining(conn_id);
  std::vector<std::shared_ptr<Route>> affected;
  for (auto& [key, route] : by_worker_)
    if (key.first == conn_id) affected.push_back(route);
  for (auto& route : affected) {
    if (route->hedge && route->hedge->conn == conn_id) {
      routing_->record(route->hedge->worker_key, route->model, Outcome::ErrorBeforeFirstToken);
      drop_hedge(route, "");
      if (route->worker_conn != conn_id) continue;
    }
    by_worker_.erase({route->worker_conn, route->worker_stream});
    route->worker.reset();
    record_worker_error(route, 502, "worker_disconnected");
    if (route->hedge && !route->head_sent) {
      route->worker_conn = 0;
      adopt_hedge(route);
      continue;
    }
    retry_or_fail(route, 502, "worker_disconnected", "worker disconnected: " + reason, "worker");
  }
}

void ProxyNode::on_client_closed(uint64_t conn_id, const std::string& reason) {
  clients_.erase(conn_id);
  if (auto it = client_billing_.find(conn_id); it != client_billing_.end()) {
    std::string contract = it->second.contract;
    client_billing_.erase(it);
    bool still_bound = std::any_of(client_billing_.begin(), client_billing_.end(),
                                   [&](const auto& entry) { return entry.second.contract == contract; });
    if (billing_ && !still_bound) billing_->unbind_client(contract);
  }
  std::vector<std::shared_ptr<Route>> affected;
  for (auto& [key, route] : by_client_)
    if (key.first == conn_id) affected.push_back(route);
  if (!affected.empty())
    spdlog::info("client conn={} closed ({}), cancelling {} requests", conn_id, reason, affected.size());
  for (auto& route : affected) {
    if (auto w = route->worker.lock()) {
      w->send_cancel(route->worker_stream, "client disconnected");
    }
    finish_route(route, "cancelled");
  }
}

// ---- frames ----

void ProxyNode::on_worker_frame(const std::shared_ptr<net::Connection>& conn, proto::Frame& frame) {
  auto wit = workers_.find(conn->id());
  if (wit == workers_.end()) return;
  WorkerEntry& worker = wit->second;
  if (frame.has_worker_state()) {
    const auto& s = frame.worker_state();
    if (s.model().empty() || s.max_concurrent() == 0) {
      conn->close("protocol violation: worker state needs a model and max_concurrent >= 1");
      return;
    }
    bool changed = worker.enabled != s.enabled() || worker.coefficient != s.coefficient() || worker.model != s.model();
    worker.model = s.model();
    worker.coefficient = s.coefficient();
    worker.max_concurrent = s.max_concurrent();
    worker.enabled = s.enabled();
    worker.disabled_reason = s.disabled_reason();
    if (changed)
      spdlog::info("worker {} model={} coefficient={} max_concurrent={} {}{}", worker.id, worker.model,
                   worker.coefficient, worker.max_concurrent,
                   worker.enabled ? "enabled" : "disabled: ", worker.enabled ? "" : worker.disabled_reason);
    bind_worker_owner(worker, s.owner_address());
    return;
  }
  if (frame.stream() == 0 || frame.stream() % 2 == 1) {
    conn->close("protocol violation: unexpected frame from worker on stream " + std::to_string(frame.stream()));
    return;
  }
  auto rit = by_worker_.find({conn->id(), frame.stream()});
  if (rit == by_worker_.end()) {
    if (on_draining_frame(conn->id(), frame)) return;  // a cancelled request reporting its usage
    on_spot_frame(conn, frame);  // a spot check's duplicate, or late frames of a cancelled request
    return;
  }
  auto route = rit->second;
  if (is_hedge(route, conn->id(), frame.stream()) && !on_hedge_frame(route, frame)) return;
  if (frame.has_head()) {
    route->pending_head = frame.head();  // forwarded with the first token: a stall can still fail over
    hold_exact_prompt(route, frame.head());
  } else if (frame.has_part()) {
    if (!route->head_sent && !route->pending_head) {
      conn->close("protocol violation: answer part before head");
      return;
    }
    if (route->first_token_us == 0) {
      route->first_token_us = steady_now_us();
      if (route->first_token_timer) route->first_token_timer->cancel();
      drop_hedge(route, "the other worker answered first");
    }
    flush_head(route);
    if (route->deterministic && routing_->config().spot_check_rate > 0)
      for (auto& e : frame.part().events()) route->output.add_event(e);
    route->events_relayed += frame.part().events_size();
    proto::Frame out;
    *out.mutable_part() = std::move(*frame.mutable_part());
    send_to_client(route, out);
  } else if (frame.has_end()) {
    const auto& u = frame.end().usage();
    int64_t now = steady_now_us();
    flush_head(route);
    if (route->first_token_us) {
      double gen_ms = (now - route->first_token_us) / 1000.0;
      routing_->record_answer(route->worker_key, route->model,
                              (route->first_token_us - route->attempt_started_us) / 1000.0, gen_ms,
                              u.completion_tokens(), route->running_before, route->request.prompt_tokens_estimate());
    } else {
      routing_->record(route->worker_key, route->model, Outcome::Success);
    }
    if (route->prefix_hash) routing_->remember_prefix(route->prefix_hash, route->worker_key);
    maybe_spot_check(route);
    proto::Frame out;
    *out.mutable_end() = frame.end();
    auto* timings = out.mutable_end()->mutable_proxy();
    timings->set_total_us(now - route->started_us);
    if (route->first_token_us) timings->set_first_token_us(route->first_token_us - route->started_us);
    if (billing_ && route->reservation)
      settle_then_send(route, u, std::move(out));  // on disk before the client sees it
    else
      send_to_client(route, out);
    double ms = (now - route->started_us) / 1000.0;
    worker.avg_request_ms = worker.avg_request_ms == 0 ? ms : worker.avg_request_ms * 0.8 + ms * 0.2;
    if (route->first_token_us) {
      double ttft = (route->first_token_us - route->started_us) / 1000.0;
      worker.avg_ttft_ms = worker.avg_ttft_ms == 0 ? ttft : worker.avg_ttft_ms * 0.8 + ttft * 0.2;
      metrics_.observe("time_to_first_token", {}, ttft);
    }
    worker.served++;
    worker.tokens += u.prompt_tokens() + u.completion_tokens();
    metrics_.add("tokens", {{"kind", "prompt"}}, static_cast<double>(u.prompt_tokens()));
    metrics_.add("tokens", {{"kind", "cached"}}, static_cast<double>(u.cached_tokens()));
    metrics_.add("tokens", {{"kind", "completion"}}, static_cast<double>(u.completion_tokens()));
    metrics_.add("tokens", {{"kind", "reasoning"}}, static_cast<double>(u.reasoning_tokens()));
    metrics_.add("model_requests", {{"model", route->model}});
    metrics_.observe("request_latency", {}, ms);
    finish_route(route, "ok");
  } else if (frame.has_error()) {
    const auto& e = frame.error();
    worker.failed++;
    record_worker_error(route, e.http_status(), e.code());
    if (!route->head_sent && (e.http_status() == 429 || e.http_status() >= 500) && e.code() != "cancelled") {
      detach_from_worker(route);
      if (route->hedge) {
        adopt_hedge(route);  // the duplicate already running elsewhere becomes the request
        return;
      }
      retry_or_fail(route, e.http_status(), e.code(), e.message(), e.hop());
    } else {
      fail_route(route, e.http_status(), e.type(), e.code(), e.message(), e.hop(), &e.usage());
    }
  } else {
    conn->close("protocol violation: unexpected message from worker");
  }
}

void ProxyNode::on_client_frame(const std::shared_ptr<net::Connection>& conn, proto::Frame& frame) {
  if (frame.stream() == 0 && frame.has_billing_hello()) {
    on_billing_hello(conn, frame.billing_hello());
    return;
  }
  if (frame.stream() == 0 || frame.stream() % 2 == 0) {
    conn->close("protocol violation: client frames must use odd stream ids");
    return;
  }
  if (frame.has_models_query()) {
    answer_models(conn, frame.stream());
  } else if (frame.has_request()) {
    if (by_client_.count({conn->id(), frame.stream()})) {
      conn->close("protocol violation: stream " + std::to_string(frame.stream()) + " reused");
      return;
    }
    start_request(conn, frame.stream(), std::move(*frame.mutable_request()));
  } else if (frame.has_cancel()) {
    auto it = by_client_.find({conn->id(), frame.stream()});
    if (it == by_client_.end()) return;
    auto route = it->second;
    if (auto w = route->worker.lock()) {
      w->send_cancel(route->worker_stream, frame.cancel().reason());
    }
    spdlog::info("rid={} cancelled by client: {}", route->request.request_id(), frame.cancel().reason());
    finish_route(route, "cancelled");
  } else {
    conn->close("protocol violation: unexpected message from client");
  }
}

void ProxyNode::answer_models(const std::shared_ptr<net::Connection>& client, uint64_t stream) {
  std::map<std::string, proto::ModelInfo> models;
  std::map<std::string, std::vector<std::string>> keys;  // enabled workers' reputation keys per model
  for (auto& [id, w] : workers_) {
    if (w.model.empty()) continue;
    auto& m = models[w.model];
    m.set_id(w.model);
    if (!w.enabled) continue;
    keys[w.model].push_back(worker_key(w));
    m.set_min_coefficient(m.workers() == 0 ? w.coefficient : std::min(m.min_coefficient(), w.coefficient));
    m.set_max_coefficient(std::max(m.max_coefficient(), w.coefficient));
    m.set_workers(m.workers() + 1);
    m.set_running(m.running() + w.running);
    m.set_capacity(m.capacity() + w.max_concurrent);
  }
  for (auto& [name, info] : models) {
    auto rep = routing_->model_json(name, keys[name]);
    info.set_reputation_best(rep["best"].is_number() ? rep["best"].get<double>() : -1);
    info.set_reputation_median(rep["median"].is_number() ? rep["median"].get<double>() : -1);
  }
  proto::Frame reply;
  reply.set_stream(stream);
  for (auto& [name, info] : models) *reply.mutable_models_reply()->add_models() = info;
  client->send(reply);
}

// ---- request lifecycle ----

void ProxyNode::start_request(const std::shared_ptr<net::Connection>& client, uint64_t stream,
                              proto::InferenceRequest request) {
  auto route = std::make_shared<Route>();
  route->client = client;
  route->client_conn = client->id();
  route->client_stream = stream;
  route->started_us = steady_now_us();
  uint32_t timeout_ms = request.timeout_ms() ? request.timeout_ms() : config_.request_timeout_s * 1000;
  timeout_ms = std::min(timeout_ms, config_.request_timeout_s * 1000);
  route->deadline_us = route->started_us + int64_t{timeout_ms} * 1000;
  {
    auto body = nlohmann::json::parse(request.body(), nullptr, false);  // once per request: model, prefix, determinism
    route->model = body.is_object() && body.contains("model") && body["model"].is_string()
                       ? body["model"].get<std::string>()
                       : std::string();
    route->prefix_hash = routing_->prefix_hash(body);
    route->deterministic = is_deterministic_request(body);
  }
  route->request = std::move(request);
  by_client_[{route->client_conn, stream}] = route;
  metrics_.add("requests_received", {});
  if (route->model.empty()) {
    fail_route(route, 400, "invalid_request_error", "missing_model", "request body names no model", "proxy");
    return;
  }
  if (std::string problem = attestation_->serving_problem(); !problem.empty()) {
    fail_route(route, 503, "server_error", "registry_unavailable", "the proxy is not serving: " + problem, "proxy");
    return;
  }
  if (!billing_admits(route)) return;
  arm_timeout(route);
  dispatch(route);
}

WorkerChoice ProxyNode::choose_for(const std::shared_ptr<Route>& route, std::vector<uint64_t>& ids) {
  std::vector<WorkerCandidate> candidates;
  ids.clear();
  for (auto& [id, w] : workers_) {
    WorkerCandidate c{w.model,          w.coefficient, w.max_concurrent, w.running, w.enabled,
                      w.avg_request_ms, false,         w.last_dispatch};
    c.excluded = std::find(route->tried_workers.begin(), route->tried_workers.end(), id) != route->tried_workers.end();
    c.disabled_reason = w.disabled_reason;
    if (billing_ && w.contract.empty()) {
      c.enabled = false;  // it could not be paid
      c.disabled_reason = "names no payout wallet (owner_address) and this proxy bills per token";
    }
    routing_->describe(c, worker_key(w), w.conn->rtt_us() / 1000.0, route->prefix_hash);
    candidates.push_back(c);
    ids.push_back(id);
  }
  // The client always sets it (default 4000), so 0 really means "only free workers".
  uint32_t max_coef = route->request.max_coefficient();
  return routing_->choose(
      candidates, route->model, max_coef,
      routing_->shape(route->model, route->request.max_tokens(), route->request.prompt_tokens_estimate()));
}

bool ProxyNode::dispatch(const std::shared_ptr<Route>& route) {
  std::vector<uint64_t> ids;
  WorkerChoice choice = choose_for(route, ids);
  if (choice.index < 0) {
    const char* type = choice.http_status == 404 ? "invalid_request_error" : "server_error";
    fail_route(route, choice.http_status, type, choice.code, choice.message, "proxy");
    return false;
  }
  uint64_t worker_id = ids[choice.index];
  WorkerEntry& worker = workers_[worker_id];
  uint64_t reservation = reserve_for(route, worker, true);
  if (billing_ && reservation == 0) return false;  // refused; the error is sent
  route->reservation = reservation;
  route->worker = worker.conn;
  route->worker_conn = worker_id;
  route->worker_stream = worker.conn->next_stream_id();
  route->attempts++;
  route->tried_workers.push_back(worker_id);
  route->worker_key = worker_key(worker);
  route->running_before = worker.running;
  route->attempt_started_us = steady_now_us();
  worker.running++;
  worker.last_dispatch = ++dispatch_seq_;
  by_worker_[{worker_id, route->worker_stream}] = route;
  send_request_to(route, worker, route->worker_stream);
  arm_first_token_timeout(route);
  arm_hedge(route);
  spdlog::info("rid={} model={} -> worker {} (attempt {}, running {}/{})", route->request.request_id(), route->model,
               worker.id, route->attempts, worker.running, worker.max_concurrent);
  return true;
}

void ProxyNode::send_request_to(const std::shared_ptr<Route>& route, WorkerEntry& worker, uint64_t stream) {
  proto::Frame out;
  out.set_stream(stream);
  auto* req = out.mutable_request();
  *req = route->request;
  int64_t remaining_ms = std::max<int64_t>(1, (route->deadline_us - steady_now_us()) / 1000);
  // The worker gets slightly less time so that its timeout error reaches the client before ours.
  req->set_timeout_ms(static_cast<uint32_t>(std::max<int64_t>(1, remaining_ms * 95 / 100)));
  worker.conn->send(out);
}

void ProxyNode::detach_from_worker(const std::shared_ptr<Route>& route) {
  release_reservation(route->reservation, nullptr);  // nothing of this attempt reached the client
  if (route->worker_conn == 0) return;
  by_worker_.erase({route->worker_conn, route->worker_stream});
  if (auto it = workers_.find(route->worker_conn); it != workers_.end() && it->second.running > 0) it->second.running--;
  route->worker.reset();
  route->worker_conn = 0;
  route->pending_head.reset();
  if (route->first_token_timer) route->first_token_timer->cancel();
}

void ProxyNode::retry_or_fail(const std::shared_ptr<Route>& route, uint32_t status, const std::string& code,
                              const std::string& message, const std::string& hop) {
  detach_from_worker(route);
  bool time_left = steady_now_us() < route->deadline_us;
  if (!route->head_sent && route->attempts <= config_.max_retries && time_left) {
    spdlog::warn("rid={} failed before its first token ({}); trying another worker", route->request.request_id(),
                 message);
    metrics_.add("retries", {});
    for (auto& [id, w] : workers_) {
      bool tried =
          std::find(route->tried_workers.begin(), route->tried_workers.end(), id) != route->tried_workers.end();
      if (!tried && w.model == route->model && w.enabled && w.running < w.max_concurrent) {
        dispatch(route);
        return;
      }
    }
  }
  fail_route(route, status, "upstream_error", code, message, hop);
}

void ProxyNode::fail_route(const std::shared_ptr<Route>& route, uint32_t status, const std::string& type,
                           const std::string& code, const std::string& message, const std::string& hop,
                           const proto::Usage* usage) {
  proto::Frame out;
  auto* e = out.mutable_error();
  e->set_http_status(status);
  e->set_type(type);
  e->set_code(code);
  e->set_message(message);
  e->set_hop(hop);
  if (usage) *e->mutable_usage() = *usage;
  if (usage)
    release_reservation(route->reservation, usage, e->mutable_billing());
  else if (route->head_sent)
    drain_reservation(route);  // the worker will say what it produced
  send_to_client(route, out);
  spdlog::warn("rid={} failed {} {} at {}: {}", route->request.request_id(), status, code, hop, message);
  finish_route(route, code.empty() ? "error" : code);
}

void ProxyNode::finish_route(const std::shared_ptr<Route>& route, const std::string& outcome) {
  if (route->head_sent) drain_reservation(route);  // cancelled mid-answer: charge what was produced
  drop_hedge(route, "request finished (" + outcome + ")");
  if (route->hedge_timer) route->hedge_timer->cancel();
  detach_from_worker(route);
  by_client_.erase({route->client_conn, route->client_stream});
  if (route->timer) route->timer->cancel();
  metrics_.add("requests", {{"outcome", outcome}});
}

void ProxyNode::arm_timeout(const std::shared_ptr<Route>& route) {
  route->timer = std::make_unique<asio::steady_timer>(io_);
  route->timer->expires_after(std::chrono::microseconds(route->deadline_us - steady_now_us()));
  std::weak_ptr<Route> weak = route;
  route->timer->async_wait([this, weak](boost::system::error_code ec) {
    auto route = weak.lock();
    if (ec || !route || !by_client_.count({route->client_conn, route->client_stream})) return;
    if (auto w = route->worker.lock()) {
      w->send_cancel(route->worker_stream, "timeout in proxy");
      routing_->record(route->worker_key, route->model, Outcome::Timeout);
    }
    fail_route(route, 504, "timeout_error", "timeout", "request timed out in the proxy", "proxy");
  });
}

void ProxyNode::send_to_client(const std::shared_ptr<Route>& route, proto::Frame& frame) {
  frame.set_stream(route->client_stream);
  if (auto c = route->client.lock()) c->send(frame);
}

nlohmann::json ProxyNode::stats() const {
  nlohmann::json workers = nlohmann::json::array();
  std::map<std::string, nlohmann::json> models;
  std::map<std::string, std::vector<std::string>> model_keys;  // enabled workers' reputation keys
  for (auto& [id, w] : workers_) {
    workers.push_back({{"id", w.id},
                       {"connection", id},
                       {"remote", w.conn->remote()},
                       {"public_key", w.conn->peer_identity().public_key_hex},
                       {"model", w.model},
                       {"coefficient", w.coefficient},
                       {"max_concurrent", w.max_concurrent},
                       {"running", w.running},
                       {"enabled", w.enabled},
                       {"disabled_reason", w.disabled_reason},
                       {"avg_request_ms", w.avg_request_ms},
                       {"avg_ttft_ms", w.avg_ttft_ms},
                       {"rtt_ms", w.conn->rtt_us() / 1000.0},
                       {"served", w.served},
                       {"failed", w.failed},
                       {"tokens", w.tokens},
                       {"attestation", attest::peer_attestation_json(w.conn->peer_identity())}});
    if (routing_) {
      workers.back()["reputation"] = routing_->worker_json(worker_key(w));
      if (w.enabled) model_keys[w.model].push_back(worker_key(w));
    }
    auto& m = models[w.model];
    if (!m.is_object()) m = nlohmann::json::object();
    m["workers"] = m.value("workers", 0) + 1;
    m["enabled"] = m.value("enabled", 0) + (w.enabled ? 1 : 0);
    m["running"] = m.value("running", 0) + w.running;
    m["capacity"] = m.value("capacity", 0) + w.max_concurrent;
  }
  if (routing_)
    for (auto& [model, keys] : model_keys) models[model]["reputation"] = routing_->model_json(model, keys);
  nlohmann::json clients = nlohmann::json::array();
  for (auto& [id, c] : clients_)
    clients.push_back({{"id", c->peer_node_id()},
                       {"connection", id},
                       {"remote", c->remote()},
                       {"rtt_ms", c->rtt_us() / 1000.0},
                       {"public_key", c->peer_identity().public_key_hex}});
  return {{"role", "proxy"},
          {"id", config_.id},
          {"routing", routing_ ? routing_->json() : nlohmann::json()},
          {"uptime_s", (unix_now_us() - started_at_us_) / 1000000},
          {"connections",
           {{"workers", workers_.size()},
            {"clients", clients_.size()},
            {"refused", worker_listener_->refused() + client_listener_->refused()},
            {"pow_refused", worker_listener_->pow_refused() + client_listener_->pow_refused()}}},
          {"attestation", attestation_ ? attestation_->stats() : nlohmann::json()},
          {"billing", billing_ ? billing_->stats() : nlohmann::json{{"enabled", false}}},
          {"in_flight", by_client_.size()},
          {"workers", workers},
          {"clients", clients},
          {"models", models},
          {"metrics", metrics_.json()}};
}

}  // namespace chrysalis::proxy
