#include "attest/keys/keybroker_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <stdexcept>

#include "common/endpoint.h"
#include "net/tls_context.h"

namespace chrysalis::attest {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

SealingKey fetch_sealing_key(const std::string& broker, const crypto::TlsIdentity& identity,
                             std::shared_ptr<crypto::PeerVerifier> verifier, std::chrono::milliseconds timeout) {
  const Endpoint at = parse_endpoint(broker);
  asio::io_context io;
  auto ctx = net::make_tls_context(identity, std::move(verifier), net::TlsSide::Client);
  asio::ssl::stream<tcp::socket> stream(io, *ctx);
  tcp::resolver resolver(io);
  SealingKey key{};
  std::string error = "no answer within " + std::to_string(timeout.count()) + " ms";
  bool done = false;
  auto fail = [&](const std::string& step, const boost::system::error_code& ec) {
    std::string refusal = net::handshake_refusal(stream.native_handle());
    error = step + ": " + (refusal.empty() ? ec.message() : "we refused the broker: " + refusal);
    io.stop();
  };
  resolver.async_resolve(at.host, std::to_string(at.port), [&](auto ec, tcp::resolver::results_type results) {
    if (ec) return fail("resolving", ec);
    asio::async_connect(stream.next_layer(), results, [&](auto ec2, const tcp::endpoint&) {
      if (ec2) return fail("connecting", ec2);
      stream.async_handshake(asio::ssl::stream_base::client, [&](auto ec3) {
        if (ec3) return fail("TLS handshake", ec3);
        asio::async_read(stream, asio::buffer(key), [&](auto ec4, std::size_t) {
          if (ec4) return fail("reading the key (the broker refused us or closed)", ec4);
          done = true;
          io.stop();
        });
      });
    });
  });
  io.run_for(timeout);
  if (!done) throw std::runtime_error("key broker " + broker + ": " + error);
  return key;
}

}  // namespace chrysalis::attest
