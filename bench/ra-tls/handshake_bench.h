#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>

namespace chrysalis::attest {

// Mutual TLS 1.3 handshakes on loopback, `iterations` per variant: plain self-signed Ed25519,
// RA-TLS with cached quote verification (steady state) and RA-TLS with every quote verified
// afresh (cold). Returns {variant: {mean_ms, p50_ms, p95_ms, ...}}. Throws on a failed handshake.
nlohmann::json run_handshake_bench(const std::filesystem::path& dev_ca_dir, int iterations);

}  // namespace chrysalis::attest
