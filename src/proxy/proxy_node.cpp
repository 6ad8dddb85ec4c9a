// The proxy node's connections: workers and clients come and go, their frames are checked and
// handed to the request flows, the worker table or billing.
#include "proxy/proxy_node.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "api/inference_request_check.h"
#include "api/openai_error.h"
#include "attest/keys/node_signing_key.h"
#include "attest/quote/quote_crypto.h"
#include "attest/ra_tls/attested_peer_verifier.h"
#include "attest/ra_tls/ra_tls_node.h"
#include "billing/owner_proof.h"
#include "billing/proxy_ledger.h"
#include "common/hex.h"
#include "common/process_memory.h"
#include "common/time.h"
#include "crypto/tls_identity.h"
#include "http/node_endpoints.h"
#include "net/tls_context.h"
#include "proxy/billing_ledger_peers.h"
#include "proxy/receipt_proof_route.h"
#include "receipts/receipt_proof.h"
#include "receipts/reputation_proof.h"
#include "ton/cells/address.h"

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
  model_names_ = std::make_unique<attest::ModelNames>(config_.attestation.model_names);
  if (config_.attestation.model_names.empty())
    spdlog::warn(
        "proxy: [attestation] models is empty — every worker is refused (model_unknown); map each model "
        "name to its attested SHA-256");
  auto worker_tls = attestation_->make_context(net::TlsSide::Server, "worker");
  auto client_tls = attestation_->make_context(net::TlsSide::Server, "client");
  attestation_->start_renewal();
  workers_ = std::make_unique<WorkerTable>(
      *routing_, config_.billing.enabled, [this] { return attestation_->serving_problem(); },
      [this](SpotOffer offer) { spot_checks_->start_case(std::move(offer)); });
  workers_->on_slot_released([this](const std::string& model) { schedule_admission(model); });
  spot_checks_ = std::make_unique<SpotChecks>(io_, *workers_, *routing_, metrics_, config_.request_timeout_s * 1000);
  if (config_.billing.enabled) {
    auto books = std::make_unique<BillingBooks>(io_.get_executor(), config_.billing, config_.attestation.registry,
                                                attestation_->chain_policy(), identity.key_pem, config_.state_dir);
    books->set_listing(config_.listing);
    billing_ = std::make_unique<LedgerPeerBilling>(io_, std::move(books), clients_, *workers_, identity.public_key_hex,
                                                   metrics_);
  } else {
    billing_ = std::make_unique<FreePeerBilling>();
  }
  workers_->set_price_source([this] {
    auto* ledger = billing_->ledger();
    return ledger ? ledger->prices().price_per_token : uint64_t{0};
  });
  countersigner_ = ReceiptCountersigner(attest::node_signing_key(identity.key_pem));
  signing_key_ = attest::node_signing_key(identity.key_pem);
  billing_->set_before_client_send([this](proto::Frame& f) { countersign_and_record(f); });
  billing_->start();

  net::ConnectionOptions worker_opts;
  worker_opts.local_role = proto::ROLE_PROXY;
  worker_opts.node_id = config_.id;
  worker_opts.accepted_peer_roles = {proto::ROLE_WORKER};
  worker_opts.pow = attestation_->listener_pow();
  worker_opts.limits = {config_.max_queued_bytes, std::chrono::milliseconds(config_.write_timeout_ms),
                        config_.worker_frames_per_s, /*throttle_frame_rate=*/true};
  worker_listener_ = std::make_unique<net::Listener>(io_, worker_tls, worker_opts,
                                                     [this](auto conn) { on_worker_connected(std::move(conn)); });
  worker_listener_->listen(config_.worker_listen);

  net::ConnectionOptions client_opts = worker_opts;
  client_opts.accepted_peer_roles = {proto::ROLE_CLIENT};
  client_opts.limits.max_frames_per_s = config_.client_frames_per_s;
  client_opts.limits.throttle_frame_rate = false;  // a client flooding control frames is dropped
  client_opts.guards = std::make_shared<net::ConnectionGuards>();
  worker_guards_ = {worker_opts.limits, worker_opts.guards};
  client_guards_ = {client_opts.limits, client_opts.guards};
  client_listener_ = std::make_unique<net::Listener>(io_, client_tls, client_opts,
                                                     [this](auto conn) { on_client_connected(std::move(conn)); });
  client_listener_->listen(config_.client_listen);

  http_ = api::start_node_http(
      io_, config_.http, "chrysalis_proxy_", [this] { return stats(); }, metrics_,
      [this](const http::Request& req, http::Responder& res) -> boost::asio::awaitable<void> {
        if (is_receipt_proof_request(req))
          co_await serve_receipt_proof(billing_->ledger(), req, res);
        else if (req.path == "/reputation" && req.method == "GET") {
          nlohmann::json table = served_reputation(req.query.count("model") ? req.query.at("model") : "",
                                                   req.query.count("history") && req.query.at("history") == "1");
          co_await api::send_json(res, 200, table);
        } else if (req.path == "/stats/workers" && req.method == "GET") {
          auto page = workers_page(req.query);
          if (page.is_string())
            co_await api::send_error(res, api::invalid_request("invalid_query", page.get<std::string>()));
          else
            co_await api::send_json(res, 200, page);
        } else
          co_await api::send_error(res, api::unknown_endpoint(req.method, req.path));
      },
      http::ServerLimits{.cors_origins = config_.cors_origins}, {.role = "proxy"});
  publish_reputation_later();
  spdlog::info("proxy {} up: workers on {}, clients on {}, http on {}, key {}", config_.id,
               config_.worker_listen.to_string(), config_.client_listen.to_string(), config_.http.to_string(),
               identity.public_key_hex);
}

// The receipt of an end or error about to go to the client: countersigned, and its leaf kept for
// the next commit's tree (with books).
void ProxyNode::countersign_and_record(proto::Frame& frame) {
  const proto::Receipt* receipt = countersigner_(frame);
  if (receipt && billing_->ledger()) record_receipt(*billing_->ledger(), *receipt);
}

void ProxyNode::stop() {
  if (publish_timer_) publish_timer_->cancel();
  if (routing_) routing_->save(true);
  if (worker_listener_) worker_listener_->stop();
  if (client_listener_) client_listener_->stop();
  if (attestation_) attestation_->stop();
  if (billing_) billing_->stop();
  if (http_) api::stop_node_http(*http_);
  if (workers_) {
    auto workers = workers_->entries();
    for (auto& [id, w] : workers) w.conn->close("proxy shutting down");
  }
  auto clients = clients_;
  for (auto& [id, c] : clients) c->close("proxy shutting down");
}

void ProxyNode::on_worker_connected(std::shared_ptr<net::Connection> conn) {
  uint64_t id = conn->id();
  WorkerEntry entry;
  entry.conn = conn;
  entry.id = conn->peer_node_id();
  entry.model_hash = conn->peer_identity().model_hash;  // attested: what routing checks names against
  if (conn->peer_certificate()) {
    auto der = attest::certificate_der(conn->peer_certificate().get());
    entry.certificate.assign(der.begin(), der.end());
  }
  workers_->add(id, entry);
  metrics_.add("connections_accepted", {{"role", "worker"}});
  attestation_->watch(conn, "worker");
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
  if (clients_.size() >= config_.max_clients) {
    metrics_.add("connections_refused", {{"reason", "max_clients"}});
    conn->start([](proto::Frame&) {}, [](const std::string&) {});
    conn->close("proxy " + config_.id + " is full: " + std::to_string(config_.max_clients) + " clients connected");
    return;
  }
  clients_[id] = conn;
  metrics_.add("connections_accepted", {{"role", "client"}});
  attestation_->watch(conn, "client");
  spdlog::info("client {} connected from {} conn={}", conn->peer_node_id(), conn->remote(), id);
  conn->start(
      [this, weak = std::weak_ptr(conn)](proto::Frame& f) {
        if (auto c = weak.lock()) on_client_frame(c, f);
      },
      [this, id](const std::string& reason) { on_client_closed(id, reason); });
}

std::size_t ProxyNode::streams_of(uint64_t client_conn) const {
  auto first = by_client_.lower_bound({client_conn, 0});
  auto last = by_client_.lower_bound({client_conn + 1, 0});
  return static_cast<std::size_t>(std::distance(first, last));
}

void ProxyNode::on_worker_closed(uint64_t conn_id, const std::string& reason) {
  auto* worker = workers_->find(conn_id);
  if (!worker) return;
  spdlog::warn("worker {} disconnected: {}", worker->id, reason);
  workers_->remove(conn_id);
  spot_checks_->drop_worker(conn_id);
  std::vector<FlowPtr> affected;
  for (auto& [key, entry] : by_worker_)
    if (key.first == conn_id && std::find(affected.begin(), affected.end(), entry) == affected.end())
      affected.push_back(entry);
  for (auto& entry : affected) apply(entry, entry->flow->on_worker_gone(conn_id, reason, steady_now_us()));
}

void ProxyNode::on_client_closed(uint64_t conn_id, const std::string& reason) {
  clients_.erase(conn_id);
  billing_->on_client_closed(conn_id);
  std::vector<FlowPtr> affected;
  for (auto& [key, entry] : by_client_)
    if (key.first == conn_id) affected.push_back(entry);
  if (!affected.empty())
    spdlog::info("client conn={} closed ({}), cancelling {} requests", conn_id, reason, affected.size());
  for (auto& entry : affected) apply(entry, entry->flow->on_client_cancel("client disconnected", steady_now_us()));
}

void ProxyNode::on_worker_frame(const std::shared_ptr<net::Connection>& conn, proto::Frame& frame) {
  WorkerEntry* worker = workers_->find(conn->id());
  if (!worker) return;
  if (frame.has_worker_state()) {
    on_worker_state(*worker, frame.worker_state());
    return;
  }
  if (frame.stream() == 0 && frame.has_models_query()) {  // the worker's view of its market
    proto::Frame reply;
    proto::ModelsReply all = workers_->models();
    for (auto& m : all.models())
      if (m.id() == worker->model) *reply.mutable_models_reply()->add_models() = m;
    conn->send(reply);
    return;
  }
  if (frame.stream() == 0 || frame.stream() % 2 == 1) {
    conn->close("protocol violation: unexpected frame from worker on stream " + std::to_string(frame.stream()));
    return;
  }
  auto it = by_worker_.find({conn->id(), frame.stream()});
  if (it == by_worker_.end()) {
    spot_checks_->on_frame(conn->id(), frame);  // a spot check's duplicate, or late frames of a cancelled request
    return;
  }
  FlowPtr entry = it->second;
  apply(entry, entry->flow->on_worker_frame(conn->id(), frame.stream(), frame, steady_now_us()));
}

void ProxyNode::on_worker_state(WorkerEntry& worker, const proto::WorkerState& s) {
  if (s.model().empty() || s.max_concurrent() == 0) {
    worker.conn->close("protocol violation: worker state needs a model and max_concurrent >= 1");
    return;
  }
  // Every announcement is checked: a worker may not switch to a name its certificate does not bind.
  if (auto refusal = model_names_->check(s.model(), worker.model_hash); !refusal.code.empty()) {
    metrics_.add("workers_refused", {{"reason", refusal.code}});
    spdlog::warn("worker {} refused ({}): {}", worker.id, refusal.code, refusal.message);
    worker.conn->close("refused (" + refusal.code + "): " + refusal.message);
    return;
  }
  bool changed = worker.enabled != s.enabled() || worker.coefficient != s.coefficient() || worker.model != s.model();
  workers_->set_model(worker, s.model());
  workers_->changed();
  worker.coefficient = s.coefficient();
  worker.max_concurrent = s.max_concurrent();
  worker.enabled = s.enabled();
  worker.embeddings = s.embeddings();
  worker.disabled_reason = s.disabled_reason();
  if (changed)
    spdlog::info("worker {} model={} coefficient={} max_concurrent={} {}{}", worker.id, worker.model,
                 worker.coefficient, worker.max_concurrent,
                 worker.enabled ? "enabled" : "disabled: ", worker.enabled ? "" : worker.disabled_reason);
  billing_->bind_worker_owner(worker, s.owner_address());
  prove_owner(worker, s);
  if (worker.enabled) schedule_admission(worker.model);  // new or freed capacity for waiting requests
}

// Reputation follows an owner only when the owner's wallet signed for this worker on this
// connection; an owner named without proof leaves the worker judged by its key alone.
void ProxyNode::prove_owner(WorkerEntry& worker, const proto::WorkerState& s) {
  std::string proven;
  if (!s.owner_address().empty() && s.has_owner_proof()) {
    std::string problem =
        billing::owner_proof_problem(s.owner_proof(), s.owner_address(), worker.conn->peer_identity().public_key_hex,
                                     attestation_->identity().public_key_hex);
    if (problem.empty()) {
      proven = ton::Address::parse(s.owner_address()).to_raw();
    } else if (worker.proven_owner.empty()) {
      metrics_.add("owner_proofs_refused", {});
      spdlog::warn("worker {}: {}; its reputation stays with its key", worker.id, problem);
    }
  }
  if (proven == worker.proven_owner) return;
  worker.proven_owner = proven;
  routing_->set_owner(worker.key, proven, proven.empty() ? "" : s.owner_proof().SerializeAsString());
}

const nlohmann::json& ProxyNode::reputation_table() {
  if (published_.is_null()) publish_reputation();
  return published_;
}

void ProxyNode::publish_reputation() {
  // Hashed and signed only when a counter moved since the last table.
  if (!published_.is_null() && routing_->table().version() == published_version_) return;
  published_version_ = routing_->table().version();
  uint64_t now_ms = static_cast<uint64_t>(unix_now_us() / 1000);
  published_histories_.clear();
  nlohmann::json table = routing_->table().signed_table(signing_key_, now_ms, &published_histories_);
  auto root_bytes = from_hex(table["root"].get<std::string>());
  std::string root(root_bytes.begin(), root_bytes.end());
  if (auto* ledger = billing_->ledger()) {  // committed with the books: GET /receipts/{commit_id}/proof
    std::string id = receipts::reputation_commit_id(now_ms);
    try {
      ledger->record_receipt(id, receipts::reputation_commit_leaf(root, table["count"].get<uint64_t>(), now_ms));
      table["commit_id"] = id;
      recorded_roots_.push_back({id, table["root"].get<std::string>(), table["count"].get<uint64_t>(), now_ms});
      if (recorded_roots_.size() > kRecordedRoots) recorded_roots_.pop_front();
    } catch (const std::exception& e) {
      spdlog::error("the reputation table's root was not recorded for the next commit: {}", e.what());
    }
  }
  published_ = std::move(table);
}

void ProxyNode::refresh_committed_root() {
  auto* ledger = billing_->ledger();
  if (!ledger) return;
  for (auto it = recorded_roots_.rbegin(); it != recorded_roots_.rend(); ++it) {
    auto inclusion = ledger->receipt_inclusion(it->id);
    if (inclusion.status != billing::ReceiptInclusion::Status::proven) continue;
    committed_root_ = {
        {"commit_id", it->id}, {"root", it->root_hex}, {"count", it->count}, {"generated_ms", it->generated_ms}};
    // Older roots are superseded by this one; keep only what may still be committed later.
    recorded_roots_.erase(recorded_roots_.begin(), std::prev(it.base()));
    return;
  }
}

nlohmann::json ProxyNode::served_reputation(const std::string& model, bool with_history) {
  const nlohmann::json& table = reputation_table();
  nlohmann::json out = model.empty() ? table : ReputationTable::only_model(table, model);
  if (with_history) ReputationTable::add_histories(out, published_histories_, kHistoriesServed);
  // A proof made at the last 5 s tick may already name a commit the chain has passed; one made
  // within the last second rarely does, and a flood of queries makes no more than one a second.
  auto* ledger = committed_root_.is_null() ? nullptr : billing_->ledger();
  if (ledger && steady_now_us() - committed_proven_us_ >= 1'000'000) {
    committed_proven_us_ = steady_now_us();
    committed_proven_ = nullptr;
    auto inclusion = ledger->receipt_inclusion(committed_root_["commit_id"].get<std::string>());
    if (inclusion.status == billing::ReceiptInclusion::Status::proven) {
      committed_proven_ = committed_root_;
      committed_proven_["proof"] = receipts::proof_json(inclusion.proof);
    }
  }
  if (!committed_proven_.is_null()) out["committed"] = committed_proven_;
  return out;
}

void ProxyNode::publish_reputation_later() {
  if (!publish_timer_) publish_timer_ = std::make_unique<boost::asio::steady_timer>(io_);
  publish_timer_->expires_after(kPublishEvery);
  publish_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    publish_reputation();
    refresh_committed_root();
    publish_reputation_later();
  });
}

void ProxyNode::on_client_frame(const std::shared_ptr<net::Connection>& conn, proto::Frame& frame) {
  if (frame.stream() == 0 && frame.has_billing_hello()) {
    billing_->on_client_hello(conn, frame.billing_hello());
    return;
  }
  if (frame.stream() == 0 || frame.stream() % 2 == 0) {
    conn->close("protocol violation: client frames must use odd stream ids");
    return;
  }
  if (frame.has_models_query()) {
    proto::Frame reply;
    reply.set_stream(frame.stream());
    *reply.mutable_models_reply() = workers_->models();
    conn->send(reply);
  } else if (frame.has_reputation_query()) {
    proto::Frame reply;
    reply.set_stream(frame.stream());
    // The entries' recent events come along for the client to replay.
    reply.mutable_reputation_reply()->set_table(served_reputation(frame.reputation_query().model(), true).dump());
    conn->send(reply);
  } else if (frame.has_request()) {
    if (by_client_.count({conn->id(), frame.stream()})) {
      conn->close("protocol violation: stream " + std::to_string(frame.stream()) + " reused");
      return;
    }
    if (streams_of(conn->id()) >= config_.max_streams_per_client) {
      refuse_request(conn, frame.stream(),
                     {429, "too_many_streams",
                      std::to_string(config_.max_streams_per_client) +
                          " requests are already in flight on this connection (max_streams_per_client)"});
      return;
    }
    start_request(conn, frame.stream(), std::move(*frame.mutable_request()));
  } else if (frame.has_sealed_for()) {
    auto it = by_client_.find({conn->id(), frame.stream()});
    if (it == by_client_.end()) return;  // the request ended meanwhile
    FlowPtr entry = it->second;
    apply(entry, entry->flow->on_client_sealed(frame.sealed_for(), steady_now_us()));
  } else if (frame.has_cancel()) {
    auto it = by_client_.find({conn->id(), frame.stream()});
    if (it == by_client_.end()) return;
    FlowPtr entry = it->second;
    apply(entry, entry->flow->on_client_cancel(frame.cancel().reason(), steady_now_us()));
  } else {
    conn->close("protocol violation: unexpected message from client");
  }
}

nlohmann::json ProxyNode::workers_page(const std::map<std::string, std::string>& query) const {
  uint64_t offset = 0, limit = kWorkersPageLimit;
  for (auto& [name, value] : query) {
    uint64_t* field = name == "offset" ? &offset : name == "limit" ? &limit : nullptr;
    if (!field) return "unknown query parameter '" + name + "' (expected offset, limit)";
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), *field);
    if (ec != std::errc() || end != value.data() + value.size())
      return name + " must be a non-negative integer, got '" + value + "'";
  }
  if (limit == 0 || limit > kWorkersPageLimit)
    return "limit must be 1.." + std::to_string(kWorkersPageLimit) + ", got " + std::to_string(limit);
  return {{"offset", offset},
          {"total", workers_->entries().size()},
          {"workers", workers_->json(static_cast<std::size_t>(offset), static_cast<std::size_t>(limit))}};
}

nlohmann::json ProxyNode::stats() const {
  std::map<std::string, nlohmann::json> models;
  std::map<std::string, std::vector<std::string>> model_keys;  // enabled workers' reputation keys
  for (auto& [id, w] : workers_->entries()) {
    if (w.enabled) model_keys[w.model].push_back(w.key);
    auto& m = models[w.model];
    if (!m.is_object()) m = nlohmann::json::object();
    m["workers"] = m.value("workers", 0) + 1;
    m["enabled"] = m.value("enabled", 0) + (w.enabled ? 1 : 0);
    m["running"] = m.value("running", 0) + w.running;
    m["capacity"] = m.value("capacity", 0) + w.max_concurrent;
    m["model_hash"] = w.model_hash;
  }
  for (auto& [model, keys] : model_keys) models[model]["reputation"] = routing_->model_json(model, keys);
  nlohmann::json clients = nlohmann::json::array();
  for (auto& [id, c] : clients_)
    clients.push_back({{"id", c->peer_node_id()},
                       {"connection", id},
                       {"remote", c->remote()},
                       {"rtt_ms", c->rtt_us() / 1000.0},
                       {"public_key", c->peer_identity().public_key_hex}});
  nlohmann::json routing = routing_->json();
  routing["selection"] = workers_->selection_timing().json();
  return {{"role", "proxy"},
          {"id", config_.id},
          {"routing", std::move(routing)},
          {"spot_checks", spot_checks_->json()},
          {"resumes", resumes_.json()},
          {"reputation_table", routing_->table().stats()},
          {"reputation_commits",
           {{"recorded_roots", {{"held", recorded_roots_.size()}, {"limit", kRecordedRoots}}},
            {"committed_root", committed_root_.is_null() ? nlohmann::json() : committed_root_["root"]}}},
          {"uptime_s", (unix_now_us() - started_at_us_) / 1000000},
          {"memory", process_memory_json()},
          {"connections",
           {{"workers", workers_->entries().size()},
            {"clients", clients_.size()},
            {"refused", worker_listener_->refused() + client_listener_->refused()},
            {"pow_refused", worker_listener_->pow_refused() + client_listener_->pow_refused()}}},
          {"attestation", attestation_->stats()},
          {"billing", billing_->stats()},
          {"in_flight", by_client_.size()},
          {"admission", admission_.stats()},
          {"limits",
           {{"max_clients", config_.max_clients},
            {"max_streams_per_client", config_.max_streams_per_client},
            {"max_tokens", config_.max_tokens_limit},
            {"max_request_bytes", config_.max_request_bytes},
            {"max_ttft_deadline_ms", api::kMaxRequestTimeoutMs},
            {"max_dispatch_bands", RoutingState::kMaxDispatchBands},
            {"client_connections", client_guards_.second->json(client_guards_.first)},
            {"worker_connections", worker_guards_.second->json(worker_guards_.first)}}},
          {"workers", workers_->json(0, kStatsWorkersListed)},
          {"workers_listed",
           {{"shown", std::min(workers_->entries().size(), kStatsWorkersListed)},
            {"total", workers_->entries().size()},
            {"all", "GET /stats/workers?offset=0&limit=" + std::to_string(kWorkersPageLimit)}}},
          {"clients", clients},
          {"models", models},
          {"model_hashes", model_names_->hashes()},
          {"metrics", metrics_.json()}};
}

}  // namespace chrysalis::proxy
