#include "sim_clients.h"

#include <spdlog/spdlog.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

#include "attest/ra_tls/ra_tls_node.h"
#include "common/time.h"

namespace chrysalis::bench {

namespace asio = boost::asio;

struct SimClients::Client {
  std::size_t index = 0;
  std::shared_ptr<net::Connection> conn;
  std::map<uint64_t, Slot*> by_stream;  // streams in flight on this connection
};

struct SimClients::Slot {
  std::size_t index = 0;
  Client* client = nullptr;
  uint64_t seq = 0;
  uint64_t stream = 0;  // 0: none in flight
  int64_t sent_us = 0;
  std::unique_ptr<asio::steady_timer> retry;
};

SimClients::SimClients(asio::io_context& io, const client::ClientConfig& config, attest::NodeAttestation& attestation,
                       SimClientSettings settings, LoadCounters& counters)
    : io_(io), config_(config), attestation_(attestation), settings_(std::move(settings)), counters_(counters) {}

SimClients::~SimClients() = default;

asio::awaitable<void> SimClients::connect_all() {
  auto tls = attestation_.make_context(net::TlsSide::Client, "proxy");
  for (std::size_t i = 0; i < settings_.connections; ++i) {
    auto c = std::make_unique<Client>();
    c->index = i;
    net::ConnectionOptions opts;
    opts.local_role = proto::ROLE_CLIENT;
    opts.node_id = config_.id + "-scale-" + std::to_string(i);
    opts.pow = attestation_.dialer_pow();
    auto dialing = net::Connection::dial(settings_.proxy, tls, opts);
    c->conn = co_await std::move(dialing);
    Client& ref = *c;
    c->conn->start([this, &ref](proto::Frame& f) { on_frame(ref, f); },
                   [this](const std::string& reason) {
                     if (stopped_) return;
                     ++counters_.clients_lost;
                     counters_.note_close(reason);
                     spdlog::warn("simulated client lost: {}", reason);
                   });
    clients_.push_back(std::move(c));
  }
}

asio::awaitable<void> SimClients::start_streams() {
  for (std::size_t i = 0; i < settings_.streams; ++i) {
    auto s = std::make_unique<Slot>();
    s->index = i;
    s->client = clients_[i % clients_.size()].get();
    slots_.push_back(std::move(s));
  }
  asio::steady_timer timer(io_);
  const auto start = std::chrono::steady_clock::now();
  const auto step = std::chrono::duration<double>(1.0 / std::max(settings_.ramp_per_s, 0.001));
  for (std::size_t i = 0; i < slots_.size() && !stopped_; ++i) {
    timer.expires_at(start +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(step * static_cast<double>(i)));
    boost::system::error_code ec;
    auto waited = timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_await std::move(waited);
    send_next(*slots_[i]);
  }
}

void SimClients::send_next(Slot& s) {
  if (stopped_ || !s.client->conn->open()) return;
  ++s.seq;
  // The prompt starts with what differs between requests, so prefix affinity spreads them as it
  // would spread different users' prompts.
  std::string tag = std::to_string(s.client->index) + "-" + std::to_string(s.index) + "-" + std::to_string(s.seq);
  std::string body = R"({"model":")" + settings_.model + R"(","messages":[{"role":"user","content":"request )" + tag +
                     R"(: tell me something about the sea."}],"max_tokens":)" + std::to_string(settings_.max_tokens) +
                     R"(,"stream":true,"stream_options":{"include_usage":true}})";
  proto::Frame f;
  s.stream = s.client->conn->next_stream_id();
  f.set_stream(s.stream);
  auto* r = f.mutable_request();
  r->set_request_id("scale-" + tag);
  r->set_path("/v1/chat/completions");
  r->set_max_tokens(settings_.max_tokens);
  r->set_max_coefficient(4000);
  r->set_prompt_tokens_estimate(body.size() / 4 + 8);
  r->set_body(std::move(body));
  s.client->by_stream[s.stream] = &s;
  s.sent_us = steady_now_us();
  s.client->conn->send(f);
  ++counters_.requests_sent;
  ++counters_.client_frames_out;
  ++in_flight_;
}

void SimClients::retry_later(Slot& s) {
  if (!s.retry) s.retry = std::make_unique<asio::steady_timer>(io_);
  s.retry->expires_after(std::chrono::milliseconds(50));
  s.retry->async_wait([this, &s](boost::system::error_code ec) {
    if (!ec) send_next(s);
  });
}

void SimClients::on_frame(Client& c, proto::Frame& frame) {
  ++counters_.client_frames_in;
  auto it = c.by_stream.find(frame.stream());
  if (it == c.by_stream.end()) return;  // connection-level frames, or a stream already ended
  Slot& s = *it->second;
  const int64_t now = steady_now_us();
  if (frame.has_head()) {
    if (counters_.measuring) counters_.ttfb_ms.push_back(static_cast<double>(now - s.sent_us) / 1000.0);
    return;
  }
  if (!frame.has_end() && !frame.has_error()) return;  // parts
  c.by_stream.erase(it);
  s.stream = 0;
  --in_flight_;
  if (frame.has_end()) {
    ++counters_.answers;
    if (counters_.measuring) counters_.latency_ms.push_back(static_cast<double>(now - s.sent_us) / 1000.0);
    send_next(s);
  } else {
    ++counters_.errors;
    ++counters_.error_codes[frame.error().code()];
    retry_later(s);  // not at once: an overloaded proxy is not flooded further
  }
}

void SimClients::close_all() {
  stopped_ = true;
  for (auto& s : slots_)
    if (s->retry) s->retry->cancel();
  for (auto& c : clients_)
    if (c->conn) c->conn->close("scale benchmark over");
}

}  // namespace chrysalis::bench
