#pragma once
// Client streams for the scale benchmark: `connections` client-node connections to the proxy's
// client listener (RA-TLS: the proxy is attested, the client known by its key, as a client node
// connects), over which `streams` request loops run: each sends an InferenceRequest (plaintext,
// as a client with e2e = "off" sends it), reads the answer to its end, and sends the next.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client/client_config.h"
#include "load_counters.h"
#include "net/connection.h"

namespace chrysalis::attest {
class NodeAttestation;
}

namespace chrysalis::bench {

struct SimClientSettings {
  Endpoint proxy;                // the proxy's client listener
  std::size_t connections = 20;  // client nodes
  std::size_t streams = 1000;    // concurrent request loops, spread evenly over the connections
  std::string model;
  uint32_t max_tokens = 64;
  double ramp_per_s = 200;  // streams started per second (clients do not all start at one instant)
};

class SimClients {
 public:
  SimClients(boost::asio::io_context& io, const client::ClientConfig& config, attest::NodeAttestation& attestation,
             SimClientSettings settings, LoadCounters& counters);
  ~SimClients();
  // Opens every connection; throws when one cannot be opened.
  boost::asio::awaitable<void> connect_all();
  // Starts the streams, ramp_per_s a second; returns when the last one has started.
  boost::asio::awaitable<void> start_streams();
  // No new requests from now on; in_flight() tells when the last answer came.
  void stop() { stopped_ = true; }
  std::size_t in_flight() const { return in_flight_; }
  void close_all();

 private:
  struct Client;
  struct Slot;
  void send_next(Slot& slot);
  void on_frame(Client& c, proto::Frame& frame);
  void retry_later(Slot& slot);

  boost::asio::io_context& io_;
  client::ClientConfig config_;
  attest::NodeAttestation& attestation_;
  SimClientSettings settings_;
  LoadCounters& counters_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::size_t in_flight_ = 0;
  bool stopped_ = false;
};

}  // namespace chrysalis::bench
