// https:// through the project's HTTP client: a TLS server in the test with a certificate from a
// test CA. The client verifies the certificate for the host against the trust it was given.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "attest/quote/dev_ca.h"
#include "attest/quote/quote_crypto.h"
#include "http/http_client.h"

namespace chrysalis::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

struct TestCa {
  std::shared_ptr<EVP_PKEY> key = attest::share(attest::generate_p256_key());
  std::shared_ptr<X509> cert;
  TestCa() {
    attest::CertificateSpec spec{.common_name = "Chrysalis Test HTTPS CA", .is_ca = true};
    cert = attest::issue_certificate(spec, key.get(), nullptr, nullptr);
  }
};

// One TLS server on a loopback port, answering every request with the Host header it saw.
class TlsServer {
 public:
  TlsServer(asio::io_context& io, const TestCa& ca, const std::string& name)
      : context_(asio::ssl::context::tls_server), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    key_ = attest::share(attest::generate_p256_key());
    attest::CertificateSpec spec{.common_name = name};
    cert_ = attest::issue_certificate(spec, key_.get(), ca.cert.get(), ca.key.get());
    SSL_CTX_use_certificate(context_.native_handle(), cert_.get());
    SSL_CTX_use_PrivateKey(context_.native_handle(), key_.get());
    asio::co_spawn(io, serve(), asio::detached);
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  asio::awaitable<void> serve() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      asio::ssl::stream<tcp::socket> tls(std::move(socket), context_);
      co_await tls.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) continue;  // the client refused us
      boost::beast::flat_buffer buffer;
      bhttp::request<bhttp::string_body> request;
      co_await bhttp::async_read(tls, buffer, request, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) continue;
      bhttp::response<bhttp::string_body> response{bhttp::status::ok, 11};
      response.body() = "host=" + std::string(request[bhttp::field::host]);
      response.keep_alive(false);
      response.prepare_payload();
      co_await bhttp::async_write(tls, response, asio::redirect_error(asio::use_awaitable, ec));
      co_await tls.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  asio::ssl::context context_;
  tcp::acceptor acceptor_;
  std::shared_ptr<EVP_PKEY> key_;
  std::shared_ptr<X509> cert_;
};

SimpleResponse get(asio::io_context& io, const std::string& url) {
  SimpleResponse out;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { out = co_await http_get(io.get_executor(), url, 5s); },
                 [&](std::exception_ptr) { io.stop(); });  // the server would accept forever
  io.run_for(10s);
  io.restart();
  return out;
}

TEST(HttpsClient, AServerWhoseCertificateVerifiesForTheHostAnswers) {
  TestCa ca;
  trust_client_ca(attest::certificate_pem(ca.cert.get()));
  asio::io_context io;
  TlsServer server(io, ca, "localhost");
  auto r = get(io, "https://localhost:" + std::to_string(server.port()) + "/tcb");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "host=localhost:" + std::to_string(server.port()));
}

TEST(HttpsClient, AnUntrustedIssuerOrAnotherNameIsRefusedByName) {
  TestCa stranger;  // never trusted
  asio::io_context io;
  TlsServer untrusted(io, stranger, "localhost");
  auto r = get(io, "https://localhost:" + std::to_string(untrusted.port()) + "/");
  EXPECT_EQ(r.error, ClientError::tls_failed);
  EXPECT_NE(r.message.find("TLS handshake with localhost:"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("certificate"), std::string::npos) << r.message;

  TestCa ca;
  trust_client_ca(attest::certificate_pem(ca.cert.get()));
  TlsServer elsewhere(io, ca, "pccs.example");  // trusted issuer, but not this host's certificate
  r = get(io, "https://localhost:" + std::to_string(elsewhere.port()) + "/");
  EXPECT_EQ(r.error, ClientError::tls_failed) << r.message;

  EXPECT_THROW(trust_client_ca("not a certificate"), std::runtime_error);
}

}  // namespace
}  // namespace chrysalis::http
