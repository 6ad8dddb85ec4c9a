// A proxy that lowers the charge it signs, for the adversarial suite: it holds a real proxy's key
// and RA-TLS certificate (read from that proxy's TLS directory, as an operator who runs the proxy
// outside a sealing TEE could), accepts one client, answers its BillingHello with the real
// contracts, then sends a signed charge for FIRST tokens and, a moment later, for THEN tokens
// (below FIRST). An honest client must drop it. Prints one JSON line per step.
//
//   rogue_proxy TLS_DIR PORT ROOT PROXY_CONTRACT CLIENT_CONTRACT BALANCE_NANO STAKE_NANO FIRST THEN
#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "attest/quote/quote_crypto.h"
#include "crypto/peer_verifier.h"
#include "crypto/tls_identity.h"
#include "net/frame_codec.h"
#include "net/pow_handshake.h"
#include "net/tls_context.h"
#include "ton/cells/boc.h"
#include "ton/cells/encoding.h"
#include "ton/contracts/chrysalis_contracts.h"
#include "ton/contracts/contract_signed.h"

namespace asio = boost::asio;
using namespace chrysalis;
using asio::use_awaitable;

namespace {

ton::Ed25519Key key_from_pem(const std::string& pem) {
  auto pkey = attest::load_private_key_pem(pem);
  std::array<uint8_t, 32> seed{};
  size_t len = seed.size();
  if (EVP_PKEY_get_raw_private_key(pkey.get(), seed.data(), &len) != 1 || len != seed.size())
    throw std::runtime_error("key.pem is not an Ed25519 key");
  return ton::Ed25519Key::from_seed(seed);
}

struct Args {
  std::string tls_dir;
  unsigned short port = 0;
  ton::Address root, proxy_contract, client_contract;
  uint64_t balance = 0, stake = 0, first = 0, then = 0;
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void say(const nlohmann::json& j) { std::cout << j.dump() << std::endl; }

asio::awaitable<void> one_client(Args a, asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                                 ton::Ed25519Key key);

asio::awaitable<void> serve(Args a) {
  auto ex = co_await asio::this_coro::executor;
  // The real proxy's key and RA-TLS certificate, read as they are (never re-issued here).
  crypto::TlsIdentity identity;
  identity.key_pem = read_file(std::filesystem::path(a.tls_dir) / "key.pem");
  identity.cert_pem = read_file(std::filesystem::path(a.tls_dir) / "cert.pem");
  auto key = key_from_pem(identity.key_pem);
  identity.public_key_hex = ton::to_hex(key.public_key());
  auto tls = net::make_tls_context(identity, std::make_shared<crypto::SelfSignedVerifier>(), net::TlsSide::Server);
  asio::ip::tcp::acceptor acceptor(ex, {asio::ip::make_address("127.0.0.1"), a.port});
  say({{"listening", a.port}, {"key", identity.public_key_hex}});
  for (;;) {  // a client that refused a first handshake (its registry unread) dials again
    asio::ip::tcp::socket socket = co_await acceptor.async_accept(use_awaitable);
    asio::co_spawn(ex, one_client(a, std::move(socket), tls, key), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& error) {
        say({{"connection_ended", error.what()}});
      }
    });
  }
}

bool charged = false;  // the two signed charges go to the first client that names its wallet

asio::awaitable<void> one_client(Args a, asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                                 ton::Ed25519Key key) {
  auto ex = co_await asio::this_coro::executor;
  net::PowSettings pow;
  pow.difficulty = 8;
  co_await net::demand_proof_of_work(socket, pow);
  asio::ssl::stream<asio::ip::tcp::socket> stream(std::move(socket), *tls);
  co_await stream.async_handshake(asio::ssl::stream_base::server, use_awaitable);
  net::FrameDecoder decoder;
  bool writing = false;  // two coroutines write: one frame at a time
  auto write = [&](const proto::Frame& f) -> asio::awaitable<void> {
    const std::string bytes = net::encode_frame(f);
    asio::steady_timer wait(ex);
    while (writing) {
      wait.expires_after(std::chrono::milliseconds(5));
      co_await wait.async_wait(use_awaitable);
    }
    writing = true;
    co_await asio::async_write(stream, asio::buffer(bytes), use_awaitable);
    writing = false;
  };
  auto signed_charge = [&](uint64_t tokens) {
    ton::contracts::SignedPayload p{ton::contracts::op::kClientCharge, a.client_contract, a.root, tokens, {}};
    auto boc = ton::serialize_boc(ton::contracts::make_signed_body(p, 0, key));
    proto::Frame f;
    auto* u = f.mutable_payment_update();
    u->set_contract(a.client_contract.to_raw());
    u->set_tokens(tokens);
    u->set_signed_body_boc(std::string(boc.begin(), boc.end()));
    u->set_committed_seqno(1);
    return f;
  };
  char buf[16384];
  for (;;) {
    proto::Frame in;
    std::string error;
    while (!decoder.next(in, error)) {
      if (!error.empty()) throw std::runtime_error(error);
      std::size_t n = co_await stream.async_read_some(asio::buffer(buf), use_awaitable);
      decoder.feed(buf, n);
    }
    proto::Frame out;
    if (in.has_hello()) {
      out.mutable_hello_ack()->set_role(proto::ROLE_PROXY);
      out.mutable_hello_ack()->set_version(1);
      out.mutable_hello_ack()->set_node_id("rogue-proxy");
      co_await write(out);
    } else if (in.has_ping()) {
      out.mutable_pong()->set_id(in.ping().id());
      co_await write(out);
    } else if (in.has_billing_hello()) {
      auto* info = out.mutable_billing_info();
      info->set_enabled(true);
      info->set_root(a.root.to_raw());
      info->set_proxy_contract(a.proxy_contract.to_raw());
      info->set_party_contract(a.client_contract.to_raw());
      info->set_price_per_token(2);
      info->set_worker_fee_per_token(1);
      info->set_available_nano(a.stake);
      info->set_balance_nano(a.balance);
      info->set_stake_nano(a.stake);
      co_await write(out);
      say({{"billing_info_sent", true}});
      if (!charged) {
        charged = true;
        asio::co_spawn(
            ex,
            [&, first = a.first, then = a.then]() -> asio::awaitable<void> {
              asio::steady_timer pause(ex);
              for (uint64_t tokens : {first, then}) {
                pause.expires_after(std::chrono::seconds(3));  // the client verifies us on chain meanwhile
                co_await pause.async_wait(use_awaitable);
                const proto::Frame update = signed_charge(tokens);
                co_await write(update);
                say({{"signed_charge_sent", tokens}});
              }
            },
            asio::detached);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 10) {
    std::cerr
        << "usage: rogue_proxy TLS_DIR PORT ROOT PROXY_CONTRACT CLIENT_CONTRACT BALANCE_NANO STAKE_NANO FIRST THEN\n";
    return 2;
  }
  try {
    Args a{argv[1],
           static_cast<unsigned short>(std::stoul(argv[2])),
           ton::Address::parse(argv[3]),
           ton::Address::parse(argv[4]),
           ton::Address::parse(argv[5]),
           std::stoull(argv[6]),
           std::stoull(argv[7]),
           std::stoull(argv[8]),
           std::stoull(argv[9])};
    asio::io_context io;
    asio::co_spawn(io, serve(a), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        say({{"stopped", ex.what()}});
      }
    });
    io.run_for(std::chrono::seconds(120));
  } catch (const std::exception& e) {
    std::cerr << "rogue_proxy: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
