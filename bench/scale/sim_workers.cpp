#include "sim_workers.h"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <iostream>

#include "attest/keys/node_signing_key.h"
#include "attest/policy/policy.h"
#include "attest/ra_tls/attested_peer_verifier.h"
#include "attest/ra_tls/evidence_sim.h"
#include "attest/ra_tls/measured_config.h"
#include "attest/ra_tls/ra_tls_identity.h"
#include "common/time.h"
#include "common/url.h"
#include "crypto/sha256.h"
#include "crypto/x25519.h"
#include "net/tls_context.h"
#include "worker/receipt_writer.h"

namespace chrysalis::bench {

namespace asio = boost::asio;

struct SimWorkers::Worker {
  std::size_t index = 0;
  std::string id;
  std::shared_ptr<asio::ssl::context> tls;  // with this worker's own certificate
  std::shared_ptr<net::Connection> conn;
  std::optional<ton::Ed25519Key> key;  // signs its receipts: the key of its certificate
  int64_t market_sent_us = 0;
};

namespace {

// Waits without throwing (a cancelled timer just returns).
asio::awaitable<void> pause(asio::steady_timer& timer, std::chrono::steady_clock::time_point until) {
  timer.expires_at(until);
  boost::system::error_code ec;
  auto waited = timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_await std::move(waited);
}

}  // namespace

SimWorkers::SimWorkers(asio::io_context& io, const worker::WorkerConfig& config, SimWorkerSettings settings,
                       LoadCounters& counters)
    : io_(io), config_(config), settings_(std::move(settings)), counters_(counters), market_timer_(io) {
  if (config_.attestation.provider != "sim")
    throw std::runtime_error("the worker config must use [attestation] provider = \"sim\" (got \"" +
                             config_.attestation.provider + "\")");
  // What worker_node.cpp attests: the model hash and the measured configuration, engine host included.
  model_hash_ = config_.engine_kind == "embedded" ? attest::model_hash_of_file(config_.engine_model)
                                                  : config_.engine_model_sha256;
  attest::EngineMeasurement engine{"127.0.0.1"};
  if (config_.engine_kind != "embedded")
    if (auto url = parse_url(config_.engine_url)) engine.host = url->host;
  attest::Policy policy = attest::build_policy(config_.attestation);
  attest::MeasuredConfig measured = attest::measure_config("worker", config_.attestation, policy, &engine);
  measured_config_ = measured.canonical();
  // The quotes claim the chrysalis binary's image, as a genuine worker's do.
  evidence_ = std::make_shared<attest::SimEvidence>(config_.attestation.dev_ca, measured, settings_.chrysalis_binary);
  proxy_verifier_ =
      std::make_shared<attest::AttestedPeerVerifier>(std::make_shared<attest::StaticPolicySource>(std::move(policy)),
                                                     "proxy", std::make_shared<attest::PeerQuoteCache>());
  std::string piece(settings_.part_bytes, 'x');
  for (uint32_t i = 0; i < settings_.parts; ++i)
    events_.push_back(R"({"id":"chatcmpl-scale","object":"chat.completion.chunk","model":")" + config_.model +
                      R"(","choices":[{"index":0,"delta":{"content":")" + piece + R"("},"finish_reason":null}]})");
}

SimWorkers::~SimWorkers() = default;

asio::awaitable<void> SimWorkers::connect_all() {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex);
  workers_.resize(settings_.count);
  const auto start = std::chrono::steady_clock::now();
  const auto step = std::chrono::duration<double>(1.0 / std::max(settings_.dial_rate, 0.001));
  for (std::size_t i = 0; i < settings_.count && !stopped_; ++i) {
    auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(step * static_cast<double>(i));
    while (!stopped_ && (pending_ >= settings_.max_pending || std::chrono::steady_clock::now() < due))
      co_await pause(timer, std::max(due, std::chrono::steady_clock::now() + std::chrono::milliseconds(2)));
    ++pending_;
    asio::co_spawn(ex, dial_one(i), [this, i](std::exception_ptr e) {
      --pending_;
      if (!e) return;
      ++failed_;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& error) {
        last_error_ = error.what();
        spdlog::warn("simulated worker {}: {}", i, error.what());
      }
    });
    if ((i + 1) % 1000 == 0)
      std::cerr << "[scale_load] " << (i + 1) << " workers dialed, " << connected_ << " connected, " << failed_
                << " failed" << std::endl;
  }
  while (pending_ > 0) co_await pause(timer, std::chrono::steady_clock::now() + std::chrono::milliseconds(20));
  if (settings_.market_query_s > 0) asio::co_spawn(ex, market_loop(), asio::detached);
}

asio::awaitable<void> SimWorkers::dial_one(std::size_t index) {
  auto& slot = workers_[index];
  slot = std::make_unique<Worker>();
  Worker& w = *slot;
  w.index = index;
  char id[32];
  std::snprintf(id, sizeof id, "scale-w%05zu", index);
  w.id = id;
  {
    // Its own key, claims, simulated quote and certificate, as a worker issues them at start.
    const int64_t t0 = steady_now_us();
    attest::RaTlsIdentityOptions options{"worker", w.id, model_hash_, config_.attestation.cert_hours, {}};
    options.config = measured_config_;
    options.storage = attest::KeyStorage::Ephemeral;
    auto e2e = crypto::X25519KeyPair::generate();
    options.e2e_public_key.assign(e2e.public_key.begin(), e2e.public_key.end());
    attest::RaTlsIdentity issuer(evidence_, options);
    crypto::TlsIdentity identity = issuer.issue();
    w.key = attest::node_signing_key(identity.key_pem);
    certificate_bytes_ = identity.cert_pem.size();
    w.tls = net::make_tls_context(identity, proxy_verifier_, net::TlsSide::Client);
    identity_ms_ += static_cast<double>(steady_now_us() - t0) / 1000.0;
  }
  net::ConnectionOptions opts;
  opts.local_role = proto::ROLE_WORKER;
  opts.node_id = w.id;
  opts.pow.expect_puzzle = config_.attestation.expect_pow;
  opts.pow.max_solve_difficulty = config_.attestation.pow_max_difficulty;
  std::shared_ptr<net::Connection> conn;
  std::string error;
  asio::steady_timer retry(co_await asio::this_coro::executor);
  for (int attempt = 0; attempt < 3 && !stopped_; ++attempt) {
    if (attempt > 0) co_await pause(retry, std::chrono::steady_clock::now() + std::chrono::seconds(attempt));
    try {
      auto dialing = net::Connection::dial(settings_.proxy, w.tls, opts);
      conn = co_await std::move(dialing);
      break;
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (!conn) throw std::runtime_error(error.empty() ? "stopped" : error);
  w.conn = conn;
  ++connected_;
  conn->start([this, &w](proto::Frame& f) { on_frame(w, f); },
              [this, &w](const std::string& reason) {
                if (stopped_) return;
                ++counters_.workers_lost;
                counters_.note_close(reason);
                if (connected_) --connected_;
                spdlog::warn("simulated worker {} lost: {}", w.id, reason);
              });
  proto::Frame state;
  auto* s = state.mutable_worker_state();
  s->set_model(config_.model);
  s->set_coefficient(config_.coefficient);
  s->set_max_concurrent(settings_.max_concurrent);
  s->set_enabled(true);
  conn->send(state);
  ++counters_.worker_frames_out;
  if (settings_.market_query_s > 0) ask_market(w);  // worker_node.cpp asks on connect
}

void SimWorkers::ask_market(Worker& w) {
  if (!w.conn || !w.conn->open()) return;
  proto::Frame query;
  query.mutable_models_query();
  w.market_sent_us = steady_now_us();
  w.conn->send(query);
  ++counters_.market_queries;
  ++counters_.worker_frames_out;
}

// Each worker asks every market_query_s, the workers spread evenly over that period.
asio::awaitable<void> SimWorkers::market_loop() {
  const auto tick = std::chrono::milliseconds(100);
  const uint64_t ticks = std::max<uint64_t>(1, static_cast<uint64_t>(settings_.market_query_s * 10));
  auto next = std::chrono::steady_clock::now();
  for (uint64_t n = 0; !stopped_; ++n) {
    next += tick;
    co_await pause(market_timer_, next);
    if (stopped_) break;
    for (std::size_t i = n % ticks; i < workers_.size(); i += ticks)
      if (workers_[i]) ask_market(*workers_[i]);
  }
}

void SimWorkers::on_frame(Worker& w, proto::Frame& frame) {
  ++counters_.worker_frames_in;
  if (frame.stream() == 0) {
    if (frame.has_models_reply()) {
      ++counters_.market_replies;
      if (w.market_sent_us)
        counters_.market_ms.push_back(static_cast<double>(steady_now_us() - w.market_sent_us) / 1000.0);
    }
    return;
  }
  if (frame.has_request()) answer(w, frame.stream(), frame.request());
  // A cancel finds the answer already sent: nothing to stop.
}

// The whole answer at once: head, K parts, end with usage and the signed receipt.
void SimWorkers::answer(Worker& w, uint64_t stream, const proto::InferenceRequest& request) {
  ++counters_.worker_requests;
  const int64_t t0 = steady_now_us();
  worker::ReceiptWriter receipt(
      {request.request_id(), crypto::sha256(request.body()), "", std::string(), model_hash_, config_.coefficient},
      *w.key, static_cast<uint64_t>(unix_now_us() / 1000));
  proto::Frame head;
  head.set_stream(stream);
  head.mutable_head()->set_status(200);
  head.mutable_head()->set_worker_id(w.id);
  head.mutable_head()->set_coefficient(config_.coefficient);
  w.conn->send(head);
  for (const auto& event : events_) {
    proto::Frame part;
    part.set_stream(stream);
    part.mutable_part()->add_events(event);
    receipt.observe(part);
    w.conn->send(part);
  }
  proto::Frame end;
  end.set_stream(stream);
  auto* e = end.mutable_end();
  e->mutable_usage()->set_prompt_tokens(std::min<uint64_t>(request.prompt_tokens_estimate(), 34));
  e->mutable_usage()->set_completion_tokens(std::min<uint64_t>(settings_.parts, request.max_tokens()));
  e->set_finish_reason("stop");
  e->mutable_worker()->set_total_us(static_cast<uint64_t>(steady_now_us() - t0));
  receipt.observe(end);
  w.conn->send(end);
  counters_.worker_frames_out += events_.size() + 2;
}

void SimWorkers::close_all() {
  stopped_ = true;
  market_timer_.cancel();
  for (auto& w : workers_)
    if (w && w->conn) w->conn->close("scale benchmark over");
}

}  // namespace chrysalis::bench
