// TLS driven on the socket itself (net::TlsStream): real TLS 1.3 on loopback, both directions at
// once, how a stream ends, a refused peer, and what an idle connection costs in memory.
#include <gtest/gtest.h>
#include <malloc.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "crypto/tls_identity.h"
#include "net/tls_context.h"
#include "net/tls_stream.h"

namespace asio = boost::asio;
using asio::ip::tcp;
using chrysalis::net::TlsStream;
using namespace chrysalis;

namespace {

class RefusingVerifier : public crypto::PeerVerifier {
 public:
  bool verify(X509*, crypto::PeerIdentity&, std::string& reason) override {
    reason = "this test refuses everyone";
    return false;
  }
};

struct TlsPair {
  asio::io_context io;
  crypto::TlsIdentity server_id = crypto::create_identity("server", 3600);
  crypto::TlsIdentity client_id = crypto::create_identity("client", 3600);
  std::shared_ptr<crypto::PeerVerifier> server_verifier = std::make_shared<crypto::SelfSignedVerifier>();
  std::shared_ptr<asio::ssl::context> client_tls =
      net::make_tls_context(client_id, std::make_shared<crypto::SelfSignedVerifier>(), net::TlsSide::Client);
  std::shared_ptr<asio::ssl::context> server_tls;
  std::vector<std::unique_ptr<TlsStream>> clients, servers;  // pair i: clients[i] <-> servers[i]
  std::vector<std::string> errors;                           // handshakes that failed, and why

  void use_server_verifier(std::shared_ptr<crypto::PeerVerifier> v) { server_verifier = std::move(v); }

  // Connects `count` pairs and handshakes both ends of each; errors land in `errors`.
  void connect(std::size_t count) {
    server_tls = net::make_tls_context(server_id, server_verifier, net::TlsSide::Server);
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    auto to = acceptor.local_endpoint();
    for (std::size_t i = 0; i < count; ++i) {
      tcp::socket accepted(io);
      auto client = std::make_unique<TlsStream>(io.get_executor(), *client_tls);
      client->socket().connect(to);
      acceptor.accept(accepted);
      auto server = std::make_unique<TlsStream>(std::move(accepted), *server_tls);
      using End = std::pair<TlsStream*, TlsStream::Side>;
      for (auto [stream, side] : {End{client.get(), TlsStream::Side::Client}, End{server.get(), TlsStream::Side::Server}})
        asio::co_spawn(
            io,
            [stream, side, this]() -> asio::awaitable<void> {
              boost::system::error_code ec;
              auto step = stream->handshake(side, ec);
              co_await std::move(step);
              if (ec) errors.push_back(ec.message() + " " + net::handshake_refusal(stream->native_handle()));
            },
            asio::detached);
      clients.push_back(std::move(client));
      servers.push_back(std::move(server));
    }
    run();
  }

  auto sides() { return std::tie(clients, servers, errors); }

  void run() {
    io.restart();
    io.run_for(std::chrono::seconds(10));
  }
};

std::string pattern(std::size_t size, char seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>(seed + i * 31 + (i >> 12));
  return s;
}

// Reads until `want` bytes came, or the stream ends (then `ended` names why).
asio::awaitable<void> read_exactly(TlsStream& s, std::size_t want, std::string& got, std::string& ended) {
  char buf[7000];  // not a multiple of the record size on purpose
  try {
    while (got.size() < want) {
      auto read = s.read_some(asio::buffer(buf));
      std::size_t n = co_await std::move(read);
      got.append(buf, n);
    }
  } catch (const boost::system::system_error& e) {
    ended = e.code().message();
  }
}

}  // namespace

TEST(TlsStream, BothDirectionsAtOnceCarryMegabytesIntact) {
  TlsPair pair;
  auto [clients, servers, errors] = pair.sides();
  pair.connect(1);
  ASSERT_TRUE(errors.empty()) << errors.front();
  // 3 MiB each way, written while the other side writes too: each end has a read and a write
  // pending at once, and the kernel's buffers fill, so writes wait for the socket.
  const std::string up = pattern(3 << 20, 'a'), down = pattern(3 << 20, 'z');
  std::string got_up, got_down, end_up, end_down;
  boost::system::error_code write_up, write_down;
  auto writer = [](TlsStream* s, const std::string* data, boost::system::error_code* ec) -> asio::awaitable<void> {
    auto write = s->write_all(asio::buffer(*data), *ec);
    co_await std::move(write);
  };
  asio::co_spawn(pair.io, writer(clients[0].get(), &up, &write_up), asio::detached);
  asio::co_spawn(pair.io, writer(servers[0].get(), &down, &write_down), asio::detached);
  asio::co_spawn(pair.io, read_exactly(*servers[0], up.size(), got_up, end_up), asio::detached);
  asio::co_spawn(pair.io, read_exactly(*clients[0], down.size(), got_down, end_down), asio::detached);
  pair.run();
  EXPECT_FALSE(write_up) << write_up.message();
  EXPECT_FALSE(write_down) << write_down.message();
  EXPECT_EQ(end_up, "");
  EXPECT_EQ(end_down, "");
  EXPECT_TRUE(got_up == up) << got_up.size() << " of " << up.size() << " bytes, or different bytes";
  EXPECT_TRUE(got_down == down) << got_down.size() << " of " << down.size() << " bytes, or different bytes";
}

TEST(TlsStream, AStreamEndsAsEofAfterCloseNotifyAndAsTruncatedWithout) {
  TlsPair pair;
  auto [clients, servers, errors] = pair.sides();
  pair.connect(2);
  ASSERT_TRUE(errors.empty()) << errors.front();
  // Pair 0: the client says close_notify, then closes. Pair 1: the client just closes the socket.
  ASSERT_EQ(SSL_shutdown(clients[0]->native_handle()), 0);  // sent; the peer's reply is not awaited
  clients[0]->socket().close();
  clients[1]->socket().close();
  std::string got0, got1, end0, end1;
  asio::co_spawn(pair.io, read_exactly(*servers[0], 1, got0, end0), asio::detached);
  asio::co_spawn(pair.io, read_exactly(*servers[1], 1, got1, end1), asio::detached);
  pair.run();
  EXPECT_EQ(end0, boost::system::error_code(asio::error::eof).message());
  EXPECT_EQ(end1, boost::system::error_code(asio::ssl::error::stream_truncated).message());
}

TEST(TlsStream, ClosingTheSocketEndsAPendingReadAndNothingTouchesTheOldDescriptor) {
  TlsPair pair;
  auto [clients, servers, errors] = pair.sides();
  pair.connect(1);
  ASSERT_TRUE(errors.empty()) << errors.front();
  std::string got, ended;
  asio::co_spawn(pair.io, read_exactly(*servers[0], 1, got, ended), asio::detached);
  asio::steady_timer later(pair.io, std::chrono::milliseconds(50));
  later.async_wait([&](auto) { servers[0]->socket().close(); });
  pair.run();
  EXPECT_EQ(ended, boost::system::error_code(asio::error::operation_aborted).message());
  // A write after the close fails with an error; it never reaches a descriptor number reused since.
  boost::system::error_code ec;
  const std::string late = "late";  // outlives the write (a temporary would not: the coroutine starts later)
  asio::co_spawn(
      pair.io,
      [&]() -> asio::awaitable<void> {
        auto write = servers[0]->write_all(asio::buffer(late), ec);
        co_await std::move(write);
      },
      asio::detached);
  pair.run();
  EXPECT_TRUE(ec);
}

TEST(TlsStream, ARefusedPeerFailsTheHandshakeWithTheVerifiersReason) {
  TlsPair pair;
  pair.use_server_verifier(std::make_shared<RefusingVerifier>());
  auto [clients, servers, errors] = pair.sides();
  pair.connect(1);
  // TLS 1.3: the client has finished its handshake when the server checks its certificate, so
  // the server's handshake fails with the verifier's reason and the client hears the alert next.
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("this test refuses everyone"), std::string::npos) << errors[0];
  std::string got, ended;
  asio::co_spawn(pair.io, read_exactly(*clients[0], 1, got, ended), asio::detached);
  pair.run();
  EXPECT_NE(ended, "");
  EXPECT_EQ(got, "");
}

TEST(TlsStream, AnIdleConnectionHoldsNoRecordBuffers) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's allocator does not report to mallinfo2";
#else
  TlsPair pair;
  auto [clients, servers, errors] = pair.sides();
  pair.connect(1);  // first: the contexts, identities and OpenSSL's tables
  ASSERT_TRUE(errors.empty());
  const std::size_t before = mallinfo2().uordblks;
  constexpr std::size_t kPairs = 100;
  pair.connect(kPairs);
  ASSERT_TRUE(errors.empty()) << errors.front();
  // One small message each way, so every connection has read and written a record since.
  for (std::size_t i = 1; i <= kPairs; ++i) {
    asio::co_spawn(
        pair.io,
        [c = clients[i].get(), s = servers[i].get()]() -> asio::awaitable<void> {
          boost::system::error_code ec;
          const std::string ping = "ping";
          auto write = c->write_all(asio::buffer(ping), ec);
          co_await std::move(write);
          char buf[16];
          auto read = s->read_some(asio::buffer(buf));
          co_await std::move(read);
        },
        asio::detached);
  }
  pair.run();
  const double per_end_kib = (double(mallinfo2().uordblks) - double(before)) / (2.0 * kPairs) / 1024.0;
  // asio::ssl::stream held ~68 KiB per end before OpenSSL's own state; OpenSSL's state with its
  // record buffers released, plus the socket, is a fraction of that.
  EXPECT_LT(per_end_kib, 32.0) << per_end_kib << " KiB per connection end";
  RecordProperty("kib_per_connection_end", std::to_string(per_end_kib));
  std::cout << "idle TLS connection end: " << per_end_kib << " KiB\n";
#endif
}
