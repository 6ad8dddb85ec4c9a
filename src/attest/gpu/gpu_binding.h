#pragma once
// GPU evidence in a worker's RA-TLS certificate (docs/gpu-attestation.md):
//   nonce    = SHA-256("chrysalis-gpu-nonce/1" || encode_claims(claims without gpu_evidence_hash))
//   evidence = every GPU's report for that nonce and its chain, encoded below, carried in the
//              certificate's GPU extension;
//   claims.gpu_evidence_hash = SHA-256(evidence), so the TDX quote's REPORTDATA (SHA-512 of the
//              claims) covers the evidence, and the evidence names the key, role, model and node.
// Evidence copied from another worker fails its nonce; evidence swapped in another certificate
// fails the hash.
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/gpu/gpu_verifier.h"
#include "attest/ra_tls/claims.h"

namespace chrysalis::attest::gpu {

inline constexpr std::size_t kMaxGpus = 16;
inline constexpr std::size_t kMaxGpuEvidenceItemBytes = 16 * 1024;

// "chrysalis-gpu-evidence/1" | u8 count | per GPU: u32 LE length, report, u32 LE length, chain PEM.
std::string encode_gpu_evidence(const std::vector<GpuEvidence>& gpus);
// Strict inverse; nullopt with `error` naming the problem.
std::optional<std::vector<GpuEvidence>> decode_gpu_evidence(std::string_view bytes, std::string& error);

std::array<uint8_t, 32> gpu_nonce(const Claims& claims);
std::string gpu_evidence_hash(std::string_view encoded);  // raw SHA-256

// Where a worker's GPU evidence comes from: "none" (no GPU evidence), "nvml" (the GPUs through
// NVIDIA's library, nvml_gpu_provider.h), "sim" (simulated GPUs under a development CA, sim_gpu.h).
class GpuEvidenceProvider {
 public:
  virtual ~GpuEvidenceProvider() = default;
  virtual std::string kind() const = 0;
  // One entry per GPU, each report asked for with `nonce`. Throws std::runtime_error naming the problem.
  virtual std::vector<GpuEvidence> collect(const std::array<uint8_t, 32>& nonce) = 0;
  // What /stats shows of the provider (kind, and the GPUs' confidential-computing state for nvml).
  virtual nlohmann::json status() const { return {{"kind", kind()}}; }
};

// What a hop that checks workers requires of their GPUs.
struct GpuPolicy {
  bool required = false;                  // a worker without GPU evidence is refused
  GpuTrust trust = GpuTrust::nvidia();    // device roots: NVIDIA's pinned one, and dev roots when configured
  std::vector<std::string> trust_labels;  // "nvidia", "dev:<sha256 prefix>"
  std::set<std::string> chips;            // allowed chips (e.g. GH100); empty: any
  std::set<std::string> drivers;          // allowed driver versions; empty: any
  unsigned min_count = 1;                 // GPUs a worker must prove when evidence is required
  std::shared_ptr<CrlCache> crls;         // the operator's revocation cache (gpu_crls); null: none
  bool revocation_required = false;       // refuse evidence the CRLs do not fully cover
};

struct GpuRefusal {
  std::string check;  // gpu_evidence, gpu_binding, gpu_report, gpu_revocation, gpu_chip, gpu_driver, gpu_count
  std::string detail;
};

// What a hop learned about a worker's GPUs, for /stats.
struct GpuSummary {
  std::vector<std::string> chips, device_ids, drivers;
  std::string unverified;  // evidence a hop that does not require it could not accept, and why
};

// Checks the GPU extension of a worker's certificate against its claims and `policy`: nullopt
// when acceptable, else the failed check. A hop that does not require GPU evidence accepts a
// worker whose evidence it cannot accept (e.g. simulated GPUs under NVIDIA-only trust) and says
// so in `summary.unverified` instead of listing the GPUs.
std::optional<GpuRefusal> check_worker_gpus(const Claims& claims, const std::optional<std::string>& extension,
                                            const GpuPolicy& policy, std::chrono::system_clock::time_point now,
                                            GpuSummary& summary);

}  // namespace chrysalis::attest::gpu
