// A proxy whose TEE is broken, for the adversarial suite: it holds the simulated TEE's root (the
// cluster's dev CA), so it presents a certificate that passes for the genuine proxy's (same image,
// same measured configuration), and sits between a client and the real proxy, relaying every
// frame. It records each frame in CAPTURE (what a proxy receives and sends on the client's link:
// the request, the SealFor/SealedFor exchange, the worker's relayed answer), and tampers with the
// answer as MODE says:
//   tap        relays unchanged
//   flip       flips one byte of the first sealed answer part
//   drop       drops the second answer part
//   replay     sends the first answer part twice
//   reorder    sends the third answer part before the second
//   cut        strips the worker's sealed final record from the end
//   attempt    names another attempt in the head
//   swap_cert  hands the client SWAP_CERT (PEM; another worker's certificate) in each SealFor
//   overcharge a proxy outside a TEE whose operator bills more than the worker's signed usage: the
//              relay presents the real proxy's key and certificate (PROXY_TLS_DIR), dials the real
//              proxy as the client (CLIENT_TLS_DIR, so the client's wallet proof holds), doubles
//              (+10) the tokens and nanoTON of each billed end and countersigns that with the key
// Prints one JSON line when it is ready and one per tampering.
//
//   e2e_relay PROXY_CONFIG CHRYSALIS_BINARY PORT MODE CAPTURE [SWAP_CERT]
//   e2e_relay PROXY_CONFIG CHRYSALIS_BINARY PORT overcharge CAPTURE PROXY_TLS_DIR CLIENT_TLS_DIR
#include <nlohmann/json.hpp>

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "attest/policy/policy_config.h"
#include "attest/quote/quote_crypto.h"
#include "attest/ra_tls/evidence_sim.h"
#include "attest/ra_tls/measured_config.h"
#include "attest/keys/node_signing_key.h"
#include "attest/ra_tls/ra_tls_identity.h"
#include "common/hex.h"
#include "crypto/peer_verifier.h"
#include "crypto/tls_identity.h"
#include "net/listener.h"
#include "net/tls_context.h"
#include "proxy/proxy_config.h"
#include "receipts/receipt.h"

namespace asio = boost::asio;
using namespace chrysalis;

namespace {

void say(const nlohmann::json& j) { std::cout << j.dump() << std::endl; }

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The genuine proxy's certificate, forged: its configuration measured as the proxy measures it,
// quoted under the dev CA as if by the proxy's binary.
crypto::TlsIdentity forged_proxy_identity(const proxy::ProxyConfig& config, const std::filesystem::path& binary) {
  attest::Policy policy = attest::build_policy(config.attestation);
  attest::MeasuredConfig measured = attest::measure_config("proxy", config.attestation, policy);
  auto evidence = std::make_shared<attest::SimEvidence>(config.attestation.dev_ca, measured, binary);
  attest::RaTlsIdentityOptions options;
  options.role = "proxy";
  options.node_id = config.id;
  options.config = measured.canonical();
  options.storage = attest::KeyStorage::Ephemeral;
  attest::RaTlsIdentity issuer(evidence, options);
  return issuer.issue();
}

// Changes the answer frames going to the client as `mode` says.
class Tamper {
 public:
  Tamper(std::string mode, std::string swap_cert_der, std::optional<ton::Ed25519Key> proxy_key = {})
      : mode_(std::move(mode)), swap_cert_(std::move(swap_cert_der)), proxy_key_(std::move(proxy_key)) {}

  // The frames to send in place of `f`.
  std::vector<proto::Frame> apply(proto::Frame f) {
    if (f.has_seal_for() && mode_ == "swap_cert") {
      f.mutable_seal_for()->set_worker_certificate(swap_cert_);
      say({{"tampered", "swap_cert"}});
    }
    if (f.has_head() && mode_ == "attempt") {
      f.mutable_head()->set_attempt(f.head().attempt() + 7);
      say({{"tampered", "attempt"}});
    }
    if (f.has_end() && mode_ == "overcharge" && f.end().has_receipt() && !f.end().receipt().proxy().empty())
      overcharge(*f.mutable_end());
    if (f.has_end() && mode_ == "cut") {
      f.mutable_end()->clear_sealed_final();
      say({{"tampered", "cut"}});
    }
    if (!f.has_part() || f.part().sealed().empty()) return {f};
    ++parts_;
    if (mode_ == "flip" && parts_ == 1) {
      std::string sealed = f.part().sealed();
      sealed[sealed.size() / 2] ^= 0x01;
      f.mutable_part()->set_sealed(sealed);
      say({{"tampered", "flip"}});
    } else if (mode_ == "drop" && parts_ == 2) {
      say({{"tampered", "drop"}});
      return {};
    } else if (mode_ == "replay" && parts_ == 1) {
      say({{"tampered", "replay"}});
      return {f, f};
    } else if (mode_ == "reorder" && parts_ == 2) {
      held_ = f;
      return {};
    } else if (mode_ == "reorder" && parts_ == 3 && held_) {
      say({{"tampered", "reorder"}});
      return {f, *std::exchange(held_, std::nullopt)};
    }
    return {f};
  }

 private:
  void overcharge(proto::ResponseEnd& end) {
    auto* billing = end.mutable_billing();
    uint64_t price = billing->charged_tokens() ? billing->cost_nano() / billing->charged_tokens() : 1;
    uint64_t tokens = billing->charged_tokens() * 2 + 10;
    billing->set_charged_tokens(tokens);
    billing->set_cost_nano(tokens * price);
    proto::ProxyCountersign charge;
    charge.ParseFromString(end.receipt().proxy());
    charge.set_charged_tokens(tokens);
    charge.set_cost_nano(tokens * price);
    receipts::countersign(*end.mutable_receipt(), charge, *proxy_key_);
    say({{"tampered", "overcharge"}, {"charged_tokens", tokens}});
  }

  std::string mode_, swap_cert_;
  std::optional<ton::Ed25519Key> proxy_key_;
  int parts_ = 0;
  std::optional<proto::Frame> held_;
};

}  // namespace

int main(int argc, char** argv) {
  bool overcharging = argc == 8 && std::string(argv[4]) == "overcharge";
  if (argc != 6 && argc != 7 && !overcharging) {
    std::cerr << "usage: e2e_relay PROXY_CONFIG CHRYSALIS_BINARY PORT MODE CAPTURE [SWAP_CERT]\n"
                 "       e2e_relay PROXY_CONFIG CHRYSALIS_BINARY PORT overcharge CAPTURE PROXY_TLS_DIR CLIENT_TLS_DIR\n";
    return 2;
  }
  try {
    proxy::ProxyConfig config = proxy::load_proxy_config(argv[1]);
    const unsigned short port = static_cast<unsigned short>(std::stoul(argv[3]));
    std::string swap_cert;
    if (argc == 7 && !overcharging) {
      auto certs = attest::load_pem_certificates(read_file(argv[6]));
      auto der = attest::certificate_der(certs.at(0).get());
      swap_cert.assign(der.begin(), der.end());
    }
    // Overcharging: the real proxy's identity toward the client, the client's toward the proxy.
    auto identity_in = [](const char* dir) {
      crypto::TlsIdentity id;
      id.key_pem = read_file(std::filesystem::path(dir) / "key.pem");
      id.cert_pem = read_file(std::filesystem::path(dir) / "cert.pem");
      auto key = attest::node_signing_key(id.key_pem).public_key();
      id.public_key_hex = to_hex({key.data(), key.size()});
      return id;
    };
    std::optional<ton::Ed25519Key> proxy_key;
    if (overcharging) proxy_key = attest::node_signing_key(read_file(std::filesystem::path(argv[6]) / "key.pem"));
    Tamper tamper(argv[4], swap_cert, std::move(proxy_key));
    std::ofstream capture(argv[5], std::ios::binary | std::ios::app);
    auto record = [&](const char* direction, const proto::Frame& f) {
      capture << direction << ' ' << f.SerializeAsString() << '\n';
      capture.flush();
    };

    asio::io_context io;
    crypto::TlsIdentity forged = overcharging ? identity_in(argv[6]) : forged_proxy_identity(config, argv[2]);
    auto server_tls =
        net::make_tls_context(forged, std::make_shared<crypto::SelfSignedVerifier>(), net::TlsSide::Server);
    auto client_tls = net::make_tls_context(overcharging ? identity_in(argv[7]) : crypto::create_identity("relay", 86400),
                                            std::make_shared<crypto::SelfSignedVerifier>(), net::TlsSide::Client);
    std::shared_ptr<net::Connection> downstream, upstream;

    net::ConnectionOptions up_options;
    up_options.local_role = proto::ROLE_CLIENT;
    up_options.node_id = "relay";
    up_options.pow.expect_puzzle = true;
    auto dialer = std::make_shared<net::Dialer>(
        io.get_executor(), config.client_listen, client_tls, up_options,
        [&](std::shared_ptr<net::Connection> conn) {
          upstream = conn;
          say({{"ready", port}, {"key", forged.public_key_hex}});
        },
        [&](const std::shared_ptr<net::Connection>&, proto::Frame& f) {
          record("proxy->client", f);
          if (!downstream) return;
          for (auto& out : tamper.apply(f)) downstream->send(out);
        },
        [&](const std::shared_ptr<net::Connection>&, const std::string& reason) {
          say({{"upstream_down", reason}});
          upstream.reset();
        });

    net::ConnectionOptions down_options;
    down_options.local_role = proto::ROLE_PROXY;
    down_options.node_id = config.id;
    down_options.accepted_peer_roles = {proto::ROLE_CLIENT};
    down_options.pow.difficulty = 8;
    net::Listener listener(io, server_tls, down_options, [&](std::shared_ptr<net::Connection> conn) {
      downstream = conn;
      say({{"client_connected", conn->peer_node_id()}});
      conn->start(
          [&](proto::Frame& f) {
            record("client->proxy", f);
            if (upstream) upstream->send(f);
          },
          [&](const std::string& reason) {
            say({{"client_gone", reason}});
          });
    });
    listener.listen({"127.0.0.1", port});
    dialer->start();
    io.run_for(std::chrono::seconds(600));
  } catch (const std::exception& e) {
    std::cerr << "e2e_relay: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
