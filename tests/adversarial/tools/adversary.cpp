// A hostile client for the adversarial suite: it holds a genuine client identity (from a client
// TOML the harness wrote) and speaks the wire protocol by hand, so it can send what the HTTP API
// would never let through and misbehave in ways a well-written peer would not (never reading).
//
//   adversary CONFIG PROXY request PATH MAX_TOKENS ESTIMATE BODY_FILE
//       one raw InferenceRequest; prints each frame it gets back as a JSON line until end/error
//   adversary CONFIG PROXY flood-models FRAMES
//       sends ModelsQuery frames and never reads; prints how many went out before the proxy
//       stopped taking them
//   adversary CONFIG PROXY flood-hello FRAMES
//       sends BillingHello frames, reading; prints the proxy's goodbye reason
//   adversary CONFIG PROXY paid-request WALLET_KEY PATH MAX_TOKENS ESTIMATE BODY_FILE
//       names WALLET_KEY's wallet (BillingHello), waits for the proxy's BillingInfo, then sends one
//       request whatever the client contract's state (an honest client stops at a closing one);
//       prints the BillingInfo and each frame back as JSON lines
//   adversary CONFIG PROXY borrowed-gpu WORKER_PORT DONOR_CERT MODEL_HASH
//       dials the proxy's worker port as a worker whose certificate carries the GPU evidence of
//       another worker (DONOR_CERT, that worker's RA-TLS certificate) bound into its own claims and
//       quote; prints whether the proxy let it say Hello
#include <google/protobuf/util/json_util.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "attest/gpu/gpu_binding.h"
#include "attest/policy/policy_config.h"
#include "attest/quote/quote_crypto.h"
#include "attest/ra_tls/evidence_sim.h"
#include "attest/ra_tls/measured_config.h"
#include "attest/ra_tls/ra_tls_cert.h"
#include "attest/ra_tls/ra_tls_identity.h"
#include "attest/ra_tls/ra_tls_node.h"
#include "crypto/x25519.h"
#include "billing/billing_hello.h"
#include "client/client_config.h"
#include "net/frame_codec.h"
#include "net/pow_handshake.h"
#include "net/tls_context.h"
#include "ton/wallet/wallet_key_file.h"

namespace asio = boost::asio;
using namespace chrysalis;
using asio::use_awaitable;
using Stream = asio::ssl::stream<asio::ip::tcp::socket>;

namespace {

struct Wire {
  Stream stream;
  net::FrameDecoder decoder;

  asio::awaitable<void> write(const proto::Frame& f) {
    std::string bytes = net::encode_frame(f);
    co_await asio::async_write(stream, asio::buffer(bytes), use_awaitable);
  }
  asio::awaitable<proto::Frame> read() {
    proto::Frame frame;
    std::string error;
    char buf[16384];
    while (!decoder.next(frame, error)) {
      if (!error.empty()) throw std::runtime_error(error);
      std::size_t n = co_await stream.async_read_some(asio::buffer(buf), use_awaitable);
      decoder.feed(buf, n);
    }
    co_return frame;
  }
};

std::string to_json(const proto::Frame& f) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(f, &out);
  return out;
}

// TCP, the proxy's proof of work, RA-TLS (the proxy is attested as usual), then Hello/HelloAck.
asio::awaitable<std::unique_ptr<Wire>> connect(const client::ClientConfig& config, attest::NodeAttestation& att,
                                               const Endpoint& proxy) {
  auto ex = co_await asio::this_coro::executor;
  auto tls = att.make_context(net::TlsSide::Client, "proxy");
  auto wire = std::make_unique<Wire>(Wire{Stream(ex, *tls), net::FrameDecoder()});
  asio::ip::tcp::resolver resolver(ex);
  auto results = co_await resolver.async_resolve(proxy.host, std::to_string(proxy.port), use_awaitable);
  co_await asio::async_connect(wire->stream.next_layer(), results, use_awaitable);
  auto pow = att.dialer_pow();
  if (pow.expect_puzzle) co_await net::provide_proof_of_work(wire->stream.next_layer(), pow);
  co_await wire->stream.async_handshake(asio::ssl::stream_base::client, use_awaitable);
  proto::Frame hello;
  hello.mutable_hello()->set_role(proto::ROLE_CLIENT);
  hello.mutable_hello()->set_min_version(1);
  hello.mutable_hello()->set_max_version(1);
  hello.mutable_hello()->set_node_id(config.id + "-adversary");
  co_await wire->write(hello);
  proto::Frame ack = co_await wire->read();
  if (!ack.has_hello_ack()) throw std::runtime_error("no HelloAck: " + to_json(ack));
  co_return wire;
}

std::string read_link_of_self() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A BillingHello for `wallet`, valid for this connection.
proto::Frame billing_hello(Wire& w, const std::string& own_tls_hex, const ton::WalletKeyFile& wallet) {
  auto proxy_tls = billing::public_key_from_hex(net::peer_identity(w.stream.native_handle()).public_key_hex, "proxy");
  auto sig =
      wallet.key.sign(billing::billing_hello_message(billing::public_key_from_hex(own_tls_hex, "own"), proxy_tls));
  proto::Frame f;
  auto* h = f.mutable_billing_hello();
  h->set_wallet_public_key(std::string(wallet.key.public_key().begin(), wallet.key.public_key().end()));
  h->set_workchain(wallet.workchain);
  h->set_signature(std::string(sig.begin(), sig.end()));
  return f;
}

asio::awaitable<void> raw_request(Wire& w, const std::vector<std::string>& args);

asio::awaitable<void> paid_request(Wire& w, const std::string& own_tls_hex, const std::vector<std::string>& args) {
  // Named before the co_await: GCC 12 destroys temporaries of a co_await expression twice.
  const auto wallet = ton::load_wallet_key(args.at(0));
  const proto::Frame hello = billing_hello(w, own_tls_hex, wallet);
  co_await w.write(hello);
  for (;;) {
    proto::Frame in = co_await w.read();
    if (in.has_goodbye()) throw std::runtime_error("the proxy hung up: " + in.goodbye().reason());
    if (!in.has_billing_info()) continue;
    std::cout << to_json(in) << std::endl;
    if (!in.billing_info().error().empty()) throw std::runtime_error("billing refused: " + in.billing_info().error());
    break;
  }
  const std::vector<std::string> request_args(args.begin() + 1, args.end());
  co_await raw_request(w, request_args);
}

asio::awaitable<void> raw_request(Wire& w, const std::vector<std::string>& args) {
  proto::Frame f;
  f.set_stream(1);
  auto* r = f.mutable_request();
  r->set_request_id("adversary-1");
  r->set_path(args.at(0));
  r->set_max_tokens(static_cast<uint32_t>(std::stoul(args.at(1))));
  r->set_prompt_tokens_estimate(std::stoull(args.at(2)));
  r->set_body(read_file(args.at(3)));
  r->set_max_coefficient(4000);
  co_await w.write(f);
  for (;;) {
    proto::Frame in = co_await w.read();
    if (in.has_ping() || in.has_pong() || in.has_payment_update() || in.has_billing_info()) continue;
    std::cout << to_json(in) << std::endl;
    if (in.has_end() || in.has_error() || in.has_goodbye()) break;
  }
}

// Written in batches of frames: the point is to make the proxy answer faster than we read (never).
asio::awaitable<void> flood_models(Wire& w, uint64_t frames) {
  uint64_t sent = 0;
  std::string stopped;
  try {
    while (sent < frames) {
      std::string batch;
      for (int i = 0; i < 10000 && sent < frames; ++i, ++sent) {
        proto::Frame f;
        f.set_stream(2 * sent + 1);
        f.mutable_models_query();
        batch += net::encode_frame(f);
      }
      co_await asio::async_write(w.stream, asio::buffer(batch), use_awaitable);
    }
    // Everything went out: keep the connection up (still never reading) until the proxy drops it.
    asio::steady_timer pause(w.stream.get_executor());
    for (int i = 0; i < 400; ++i) {
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(use_awaitable);
      proto::Frame ping;
      ping.mutable_ping()->set_id(static_cast<uint64_t>(i));
      co_await w.write(ping);
    }
  } catch (const std::exception& e) {
    stopped = e.what();
  }
  std::cout << nlohmann::json{{"sent", sent}, {"stopped", stopped}}.dump() << std::endl;
}

// Each hello names a fresh wallet and is validly signed for this connection: what a client that
// wants the proxy to track (and read from the chain) as many wallets as it can would send.
asio::awaitable<void> flood_hello(Wire& w, const std::string& own_tls_hex, uint64_t frames) {
  auto proxy_tls = billing::public_key_from_hex(net::peer_identity(w.stream.native_handle()).public_key_hex, "proxy");
  auto message = billing::billing_hello_message(billing::public_key_from_hex(own_tls_hex, "own"), proxy_tls);
  uint64_t sent = 0;
  try {
    for (; sent < frames; ++sent) {
      auto wallet = ton::Ed25519Key::generate();
      auto sig = wallet.sign(message);
      proto::Frame f;
      auto* h = f.mutable_billing_hello();
      h->set_wallet_public_key(std::string(wallet.public_key().begin(), wallet.public_key().end()));
      h->set_signature(std::string(sig.begin(), sig.end()));
      co_await w.write(f);
    }
  } catch (const std::exception&) {
    // the proxy hung up while we were still sending: its goodbye may be readable below
  }
  try {
    for (;;) {
      proto::Frame in = co_await w.read();
      if (in.has_goodbye()) {
        std::cout << nlohmann::json{{"sent", sent}, {"goodbye", in.goodbye().reason()}}.dump() << std::endl;
        co_return;
      }
    }
  } catch (const std::exception& e) {
    std::cout << nlohmann::json{{"sent", sent}, {"goodbye", ""}, {"read_error", e.what()}}.dump() << std::endl;
  }
}

// Hands out the same evidence whatever nonce it is asked for: a host replaying what it saw.
class BorrowedGpus final : public attest::gpu::GpuEvidenceProvider {
 public:
  explicit BorrowedGpus(std::vector<attest::gpu::GpuEvidence> gpus) : gpus_(std::move(gpus)) {}
  std::string kind() const override { return "borrowed"; }
  std::vector<attest::gpu::GpuEvidence> collect(const std::array<uint8_t, 32>&) override { return gpus_; }

 private:
  std::vector<attest::gpu::GpuEvidence> gpus_;
};

class AnyPeer final : public crypto::PeerVerifier {
 public:
  bool verify(X509*, crypto::PeerIdentity&, std::string&) override { return true; }
};

asio::awaitable<void> borrowed_gpu(const client::ClientConfig& config, attest::NodeAttestation& att,
                                   const std::vector<std::string>& args) {
  Endpoint worker_port = parse_endpoint("127.0.0.1:" + args.at(0));
  auto donor = attest::load_pem_certificates(read_file(args.at(1)));
  if (donor.empty()) throw std::runtime_error("no certificate in " + args.at(1));
  auto ext = attest::read_ra_tls_extensions(donor.front().get());
  if (!ext.gpu_evidence) throw std::runtime_error(args.at(1) + " carries no GPU evidence");
  std::string error;
  auto gpus = attest::gpu::decode_gpu_evidence(*ext.gpu_evidence, error);
  if (!gpus) throw std::runtime_error(error);
  // A genuine worker's measurement and image, with the cluster's development quoting key.
  attest::Policy policy = attest::build_policy(config.attestation);
  attest::EngineMeasurement engine{"127.0.0.1"};
  attest::MeasuredConfig measured = attest::measure_config("worker", config.attestation, policy, &engine);
  auto chrysalis = std::filesystem::path(read_link_of_self()).parent_path() / "chrysalis";
  // A client quotes nothing, so its dev_ca may be unset: the root it trusts is the cluster's.
  std::filesystem::path dev_ca = config.attestation.dev_ca;
  for (const auto& t : config.attestation.trust)
    if (dev_ca.empty() && t.rfind("dev:", 0) == 0) dev_ca = t.substr(4);
  auto evidence = std::make_shared<attest::SimEvidence>(dev_ca, measured, chrysalis);
  attest::RaTlsIdentityOptions options{"worker", config.id + "-borrower", args.at(2), 6,
                                       config.state_dir / "borrower"};
  options.config = measured.canonical();
  options.storage = attest::KeyStorage::Ephemeral;
  auto e2e = crypto::X25519KeyPair::generate();
  options.e2e_public_key.assign(e2e.public_key.begin(), e2e.public_key.end());
  options.gpu = std::make_shared<BorrowedGpus>(std::move(*gpus));
  attest::RaTlsIdentity issuer(evidence, options);
  auto identity = issuer.issue();

  auto ex = co_await asio::this_coro::executor;
  auto tls = net::make_tls_context(identity, std::make_shared<AnyPeer>(), net::TlsSide::Client);
  Wire wire{Stream(ex, *tls), net::FrameDecoder()};
  asio::ip::tcp::resolver resolver(ex);
  auto results = co_await resolver.async_resolve(worker_port.host, std::to_string(worker_port.port), use_awaitable);
  co_await asio::async_connect(wire.stream.next_layer(), results, use_awaitable);
  auto pow = att.dialer_pow();
  if (pow.expect_puzzle) co_await net::provide_proof_of_work(wire.stream.next_layer(), pow);
  try {
    // TLS 1.3: the client's side of the handshake ends before the proxy has judged our
    // certificate, so the verdict shows on the first read.
    co_await wire.stream.async_handshake(asio::ssl::stream_base::client, use_awaitable);
    proto::Frame hello;
    hello.mutable_hello()->set_role(proto::ROLE_WORKER);
    hello.mutable_hello()->set_min_version(1);
    hello.mutable_hello()->set_max_version(1);
    hello.mutable_hello()->set_node_id(config.id + "-borrower");
    co_await wire.write(hello);
    proto::Frame ack = co_await wire.read();
    std::cout << nlohmann::json{{"accepted", ack.has_hello_ack()}, {"frame", to_json(ack)}}.dump() << std::endl;
  } catch (const std::exception& e) {
    std::cout << nlohmann::json{{"accepted", false}, {"error", e.what()}}.dump() << std::endl;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: adversary CONFIG PROXY request|paid-request|flood-models|flood-hello ARGS...\n";
    return 2;
  }
  std::vector<std::string> args(argv + 4, argv + argc);
  std::string mode = argv[3];
  asio::io_context io;
  int rc = 0;
  try {
    auto config = client::load_client_config(argv[1]);
    attest::NodeAttestation att(io.get_executor(), "client", config.id + "-adversary", "", config.attestation,
                                config.state_dir);
    Endpoint proxy = parse_endpoint(argv[2]);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          // A network whose allow-lists live in the root contract: read them first, as a client does.
          if (auto chain = att.chain_policy()) {
            chain->start();
            asio::steady_timer pause(co_await asio::this_coro::executor);
            for (int i = 0; i < 300 && !chain->registry(); ++i) {
              pause.expires_after(std::chrono::milliseconds(100));
              co_await pause.async_wait(use_awaitable);
            }
            if (!chain->registry()) throw std::runtime_error("the registry could not be read from the chain");
          }
          auto wire = co_await connect(config, att, proxy);
          if (mode == "request")
            co_await raw_request(*wire, args);
          else if (mode == "flood-models")
            co_await flood_models(*wire, std::stoull(args.at(0)));
          else if (mode == "paid-request")
            co_await paid_request(*wire, att.identity().public_key_hex, args);
          else if (mode == "borrowed-gpu")
            co_await borrowed_gpu(config, att, args);
          else if (mode == "flood-hello")
            co_await flood_hello(*wire, att.identity().public_key_hex, std::stoull(args.at(0)));
          else
            throw std::runtime_error("unknown mode " + mode);
        },
        [&](std::exception_ptr e) {
          att.stop();  // the registry's refresh timer would keep the loop running
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            std::cout << nlohmann::json{{"failed", ex.what()}}.dump() << std::endl;
            rc = 1;
          }
          att.stop();
        });
    io.run_for(std::chrono::seconds(60));
    att.stop();
  } catch (const std::exception& e) {
    std::cerr << "adversary: " << e.what() << "\n";
    return 2;
  }
  return rc;
}
