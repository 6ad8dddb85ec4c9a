#include "keybroker/keybroker_node.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <cstdlib>
#include <stdexcept>

#include "common/hex.h"
#include "http/node_endpoints.h"
#include "net/tls_context.h"

namespace chrysalis::keybroker {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// The master secret from the operator's environment (never from disk), else a fresh random one.
attest::SealingKey master_secret(bool& from_operator) {
  attest::SealingKey key{};
  const char* hex = std::getenv("CHRYSALIS_KEYBROKER_SECRET");
  from_operator = hex && *hex;
  if (from_operator) {
    std::vector<uint8_t> bytes;
    try {
      bytes = from_hex(hex);
    } catch (const std::exception&) {
    }
    if (bytes.size() != key.size())
      throw std::runtime_error("CHRYSALIS_KEYBROKER_SECRET must be 64 hex characters (32 bytes)");
    std::copy(bytes.begin(), bytes.end(), key.begin());
    ::unsetenv("CHRYSALIS_KEYBROKER_SECRET");  // children and /proc/PID/environ readers don't need it
  } else if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    throw std::runtime_error("generating the broker's master secret failed");
  }
  return key;
}

struct Session {
  Session(tcp::socket socket, asio::ssl::context& ctx) : stream(std::move(socket), ctx), timer(stream.get_executor()) {}
  asio::ssl::stream<tcp::socket> stream;
  asio::steady_timer timer;
  attest::SealingKey key{};
};

}  // namespace

KeyBrokerNode::KeyBrokerNode(asio::io_context& io, KeyBrokerConfig config) : io_(io), config_(std::move(config)) {}

KeyBrokerNode::~KeyBrokerNode() = default;

void KeyBrokerNode::start() {
  master_ = master_secret(master_from_operator_);
  if (!master_from_operator_)
    spdlog::warn(
        "keybroker: no CHRYSALIS_KEYBROKER_SECRET given: a random master secret is used, and keys sealed under "
        "it cannot be unsealed after this broker stops");
  attestation_ = std::make_unique<attest::NodeAttestation>(io_.get_executor(), "keybroker", config_.id, "",
                                                           config_.attestation, config_.state_dir);
  tls_ = attestation_->make_context(net::TlsSide::Server, "node");
  attestation_->start_renewal();
  acceptor_ = std::make_unique<tcp::acceptor>(io_);
  tcp::endpoint at(asio::ip::make_address(config_.listen.host), config_.listen.port);
  acceptor_->open(at.protocol());
  acceptor_->set_option(tcp::acceptor::reuse_address(true));
  acceptor_->bind(at);
  acceptor_->listen();
  http_ = api::start_node_http(
      io_, config_.http, "chrysalis_keybroker", [this] { return stats(); }, metrics_, nullptr, {},
      {.role = "keybroker"});
  spdlog::info("keybroker {} listening on {}:{} (RA-TLS), image {}", config_.id, config_.listen.host, port(),
               attestation_->own_image_hash().empty() ? "-" : attestation_->own_image_hash());
  accept();
}

void KeyBrokerNode::stop() {
  if (acceptor_) acceptor_->close();
  if (http_) api::stop_node_http(*http_);
  if (attestation_) attestation_->stop();
}

uint16_t KeyBrokerNode::port() const { return acceptor_ ? acceptor_->local_endpoint().port() : 0; }

void KeyBrokerNode::accept() {
  acceptor_->async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (in_flight_ >= config_.max_handshakes) {
        refused("busy");
      } else {
        serve(std::move(socket));
      }
    }
    accept();
  });
}

void KeyBrokerNode::refused(const std::string& reason) {
  ++refused_[reason];
  metrics_.add("refused", {{"reason", reason}});
}

void KeyBrokerNode::serve(tcp::socket socket) {
  ++in_flight_;
  auto s = std::make_shared<Session>(std::move(socket), *tls_);
  auto finish = [s] {
    s->timer.cancel();
    boost::system::error_code ignored;
    s->stream.next_layer().close(ignored);
  };
  s->timer.expires_after(std::chrono::milliseconds(config_.handshake_timeout_ms));
  s->timer.async_wait([this, s](boost::system::error_code ec) {
    if (ec) return;
    refused("timeout");
    boost::system::error_code ignored;
    s->stream.next_layer().close(ignored);
  });
  s->stream.async_handshake(asio::ssl::stream_base::server, [this, s, finish](boost::system::error_code ec) {
    if (ec) {
      std::string why = net::handshake_refusal(s->stream.native_handle());
      spdlog::warn("keybroker: refused a node: {}", why.empty() ? ec.message() : why);
      auto check = why.find('\'');
      refused(check == std::string::npos
                  ? "handshake"
                  : "attestation:" + why.substr(check + 1, why.find('\'', check + 1) - check - 1));
      --in_flight_;
      return finish();
    }
    auto peer = net::peer_identity(s->stream.native_handle());
    if (!peer.attested || peer.image_hash.empty()) {
      spdlog::warn("keybroker: refused {}: no verified quote, so no image to release a key for", peer.common_name);
      refused("not_attested");
      --in_flight_;
      return finish();
    }
    s->key = attest::derive_sealing_key(master_, peer.claimed_role, peer.image_hash);
    asio::async_write(s->stream, asio::buffer(s->key),
                      [this, s, peer, finish](boost::system::error_code wec, std::size_t) {
                        s->key.fill(0);
                        --in_flight_;
                        if (wec) {
                          refused("write");
                        } else {
                          ++released_;
                          ++released_by_role_[peer.claimed_role];
                          metrics_.add("released", {{"role", peer.claimed_role}});
                          spdlog::info("keybroker: released the sealing key of {} image {} to {}", peer.claimed_role,
                                       peer.image_hash, peer.common_name);
                        }
                        s->stream.async_shutdown([s, finish](boost::system::error_code) { finish(); });
                      });
  });
}

nlohmann::json KeyBrokerNode::stats() const {
  return {
      {"role", "keybroker"},
      {"id", config_.id},
      {"master_secret", master_from_operator_ ? "from operator" : "random, this process only"},
      {"released", released_},
      {"released_by_role", released_by_role_},
      {"refused", refused_},
      {"in_flight", in_flight_},
      {"limits", {{"max_handshakes", config_.max_handshakes}, {"handshake_timeout_ms", config_.handshake_timeout_ms}}},
      {"attestation", attestation_ ? attestation_->stats() : nlohmann::json()}};
}

}  // namespace chrysalis::keybroker
