#pragma once
// The key broker: an attested service that releases, over RA-TLS, each node's per-image sealing
// key (attest/keys/sealing.h) to nodes whose quote verifies under its trusted roots. It keeps one
// master secret in memory only (given by its operator in CHRYSALIS_KEYBROKER_SECRET, 64 hex, when
// sealed keys must outlive the broker process; else a random one) and never writes a key to disk.
// It needs no allow-list of images: a key is derived from the image it was asked by, so admitting
// a foreign image only hands that image its own key.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <memory>

#include "attest/keys/sealing.h"
#include "attest/ra_tls/ra_tls_node.h"
#include "common/metrics.h"
#include "http/http_server.h"
#include "keybroker/keybroker_config.h"

namespace chrysalis::api {
class NodeHttp;
}

namespace chrysalis::keybroker {

class KeyBrokerNode {
 public:
  KeyBrokerNode(boost::asio::io_context& io, KeyBrokerConfig config);
  ~KeyBrokerNode();
  void start();  // throws naming what failed (a bad secret, a port in use, the attestation)
  void stop();
  uint16_t port() const;
  nlohmann::json stats() const;

 private:
  void accept();
  void serve(boost::asio::ip::tcp::socket socket);
  void refused(const std::string& reason);

  boost::asio::io_context& io_;
  KeyBrokerConfig config_;
  attest::SealingKey master_{};
  std::unique_ptr<attest::NodeAttestation> attestation_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::unique_ptr<api::NodeHttp> http_;
  Metrics metrics_;
  uint32_t in_flight_ = 0;
  uint64_t released_ = 0;
  std::map<std::string, uint64_t> released_by_role_;
  std::map<std::string, uint64_t> refused_;
  bool master_from_operator_ = false;
};

}  // namespace chrysalis::keybroker
