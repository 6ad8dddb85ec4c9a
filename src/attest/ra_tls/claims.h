#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace chrysalis::attest {

// What a node asserts about itself in its RA-TLS certificate. The quote's REPORTDATA is
// SHA-512 of the encoding below, so a quote cannot be moved to another key, role or model.
struct Claims {
  std::string role;                      // "proxy" | "worker" | "client" | "keybroker"
  std::array<uint8_t, 32> public_key{};  // the certificate's raw Ed25519 key
  uint32_t protocol_version = 1;
  int64_t created_unix = 0;  // seconds; also the certificate's age reference
  std::string model_hash;    // worker: 64 hex chars (SHA-256 of the GGUF or of the model name); else empty
  std::string node_id;
  // The node's configuration as it reports it (measured_config.h): canonical JSON whose
  // "measured" part is what RTMR3 was extended with. Empty for nodes without a quote.
  std::string config;
  // Workers: the X25519 key clients seal request bodies to (end-to-end encryption); it lives only
  // in the worker's memory, a new one each start. Empty for other roles.
  std::string e2e_public_key;
  // Workers with GPUs: SHA-256 of the GPU evidence extension (ra_tls_cert.h), whose reports were
  // asked for with a nonce derived from the other claims (attest/gpu/gpu_binding.h). Empty: none.
  std::string gpu_evidence_hash;
};

// The largest creation time decode_claims accepts (2^40 s); larger values are rejected as garbage.
inline constexpr uint64_t kMaxCreatedUnix = uint64_t{1} << 40;

// Deterministic encoding: the ASCII magic "chrysalis-claims/4", then every field in the fixed
// order role, public_key, protocol_version, created_unix, model_hash, node_id, config,
// e2e_public_key, gpu_evidence_hash, each as
// tag u8 | length u32 LE | bytes (integers as fixed-width little-endian). Nothing optional,
// nothing reordered, nothing trailing: one Claims value has exactly one encoding.
std::string encode_claims(const Claims& claims);
// Strict inverse; nullopt with `error` naming the problem.
std::optional<Claims> decode_claims(const std::string& bytes, std::string& error);

// SHA-512(encode_claims(claims)): the 64 bytes the quote must carry as REPORTDATA.
std::array<uint8_t, 64> claims_report_data(const std::string& encoded_claims);

constexpr std::size_t kMaxClaimsBytes = 32768;  // room for a config with a few hundred allow-listed hashes

}  // namespace chrysalis::attest
