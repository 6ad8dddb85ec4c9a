#include "keybroker/keybroker_config.h"

#include "common/toml_reader.h"

namespace chrysalis::keybroker {

KeyBrokerConfig load_keybroker_config(const std::filesystem::path& file) {
  TomlReader r(file);
  KeyBrokerConfig c;
  c.id = r.string("keybroker.id", "keybroker");
  c.listen = parse_endpoint(r.string("keybroker.listen", "127.0.0.1:11090"));
  c.http = parse_endpoint(r.string("keybroker.http", "127.0.0.1:11091"));
  c.max_handshakes = static_cast<uint32_t>(r.integer("keybroker.max_handshakes", 64, 1, 100'000));
  c.handshake_timeout_ms = static_cast<uint32_t>(r.integer("keybroker.handshake_timeout_ms", 10000, 100, 600'000));
  c.state_dir = r.path("tls.dir", "run/" + c.id);
  c.log_level = r.string("log.level", "info");
  c.attestation = attest::read_attestation_settings(r, file.string());
  if (c.attestation.allow_none)
    throw std::runtime_error(file.string() +
                             ": 'attestation.allow_none' makes no sense for a key broker: a node "
                             "without a quote has no image to release a key for");
  r.refuse_unknown_keys();
  return c;
}

}  // namespace chrysalis::keybroker
