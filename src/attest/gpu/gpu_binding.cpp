#include "attest/gpu/gpu_binding.h"

#include <algorithm>
#include <stdexcept>

#include "attest/gpu/gpu_verification_cache.h"

#include "attest/quote/quote_crypto.h"

namespace chrysalis::attest::gpu {

namespace {

constexpr std::string_view kEvidenceMagic = "chrysalis-gpu-evidence/1";
constexpr std::string_view kNonceDomain = "chrysalis-gpu-nonce/1";

void put_u32(std::string& out, std::size_t n) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(n >> (8 * i)));
}

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::string encode_gpu_evidence(const std::vector<GpuEvidence>& gpus) {
  if (gpus.size() > kMaxGpus) throw std::invalid_argument("more than " + std::to_string(kMaxGpus) + " GPUs");
  std::string out(kEvidenceMagic);
  out.push_back(static_cast<char>(gpus.size()));
  for (const auto& g : gpus) {
    if (g.report.size() > kMaxGpuEvidenceItemBytes || g.chain_pem.size() > kMaxGpuEvidenceItemBytes)
      throw std::invalid_argument("a GPU report or chain is larger than 16 KiB");
    put_u32(out, g.report.size());
    out.append(g.report.begin(), g.report.end());
    put_u32(out, g.chain_pem.size());
    out += g.chain_pem;
  }
  return out;
}

std::optional<std::vector<GpuEvidence>> decode_gpu_evidence(std::string_view bytes, std::string& error) {
  if (bytes.substr(0, kEvidenceMagic.size()) != kEvidenceMagic || bytes.size() < kEvidenceMagic.size() + 1) {
    error = "GPU evidence does not start with \"" + std::string(kEvidenceMagic) + "\"";
    return std::nullopt;
  }
  std::size_t at = kEvidenceMagic.size();
  std::size_t count = static_cast<uint8_t>(bytes[at++]);
  if (count == 0 || count > kMaxGpus) {
    error = "GPU evidence holds " + std::to_string(count) + " GPUs (1 to " + std::to_string(kMaxGpus) + ")";
    return std::nullopt;
  }
  auto take = [&](std::string& out, const char* what) {
    if (bytes.size() - at < 4) {
      error = std::string("GPU evidence ends before a ") + what + " length";
      return false;
    }
    std::size_t n = load_le32(reinterpret_cast<const uint8_t*>(bytes.data() + at));
    at += 4;
    if (n > kMaxGpuEvidenceItemBytes || n > bytes.size() - at) {
      error = std::string("GPU evidence: a ") + what + " of " + std::to_string(n) + " bytes does not fit";
      return false;
    }
    out.assign(bytes.substr(at, n));
    at += n;
    return true;
  };
  std::vector<GpuEvidence> gpus;
  for (std::size_t i = 0; i < count; ++i) {
    std::string report, chain;
    if (!take(report, "report") || !take(chain, "chain")) return std::nullopt;
    gpus.push_back({Bytes(report.begin(), report.end()), std::move(chain)});
  }
  if (at != bytes.size()) {
    error = "GPU evidence has " + std::to_string(bytes.size() - at) + " trailing bytes";
    return std::nullopt;
  }
  return gpus;
}

std::array<uint8_t, 32> gpu_nonce(const Claims& claims) {
  Claims without = claims;
  without.gpu_evidence_hash.clear();
  std::string input(kNonceDomain);
  input += encode_claims(without);
  return sha256(bytes_of(input));
}

std::string gpu_evidence_hash(std::string_view encoded) {
  auto h = sha256(bytes_of(encoded));
  return std::string(h.begin(), h.end());
}

namespace {

std::optional<GpuRefusal> check_evidence(const Claims& claims, const std::optional<std::string>& extension,
                                         const GpuPolicy& policy, std::chrono::system_clock::time_point now,
                                         GpuSummary& summary) {
  if (!extension && claims.gpu_evidence_hash.empty()) {
    if (!policy.required) return std::nullopt;
    return GpuRefusal{"gpu_evidence", "the worker presents no GPU evidence and the policy requires it"};
  }
  if (!extension) return GpuRefusal{"gpu_binding", "the claims name GPU evidence the certificate does not carry"};
  if (claims.gpu_evidence_hash != gpu_evidence_hash(*extension))
    return GpuRefusal{"gpu_binding", "the certificate's GPU evidence is not the evidence its claims (and quote) bind"};
  std::string error;
  auto gpus = decode_gpu_evidence(*extension, error);
  if (!gpus) return GpuRefusal{"gpu_evidence", error};
  auto nonce = gpu_nonce(claims);
  GpuTrust trust = policy.trust;
  if (policy.crls) trust.crls = policy.crls->current();
  for (std::size_t i = 0; i < gpus->size(); ++i) {
    GpuVerification v = shared_gpu_verification_cache().verify((*gpus)[i], nonce, trust, now);
    std::string which = "GPU " + std::to_string(i);
    if (!v.verified) return GpuRefusal{"gpu_report", which + ": " + v.reason + ": " + v.reason_text};
    if (policy.revocation_required &&
        std::find(v.checks_not_done.begin(), v.checks_not_done.end(), kCheckRevocation) != v.checks_not_done.end())
      return GpuRefusal{"gpu_revocation", which + ": revocation not checked: " + v.revocation};
    if (!policy.chips.empty() && !policy.chips.count(v.chip))
      return GpuRefusal{"gpu_chip", which + " is a " + (v.chip.empty() ? "GPU of unnamed chip" : v.chip) +
                                        ", not an allowed chip"};
    if (!policy.drivers.empty() && !policy.drivers.count(v.report->driver_version))
      return GpuRefusal{"gpu_driver", which + " runs driver " + v.report->driver_version + ", not an allowed one"};
    summary.chips.push_back(v.chip);
    summary.device_ids.push_back(v.device_id);
    summary.drivers.push_back(v.report->driver_version);
  }
  if (policy.required && gpus->size() < policy.min_count)
    return GpuRefusal{"gpu_count", "the worker proves " + std::to_string(gpus->size()) + " GPUs, the policy requires " +
                                       std::to_string(policy.min_count)};
  return std::nullopt;
}

}  // namespace

std::optional<GpuRefusal> check_worker_gpus(const Claims& claims, const std::optional<std::string>& extension,
                                            const GpuPolicy& policy, std::chrono::system_clock::time_point now,
                                            GpuSummary& summary) {
  auto refusal = check_evidence(claims, extension, policy, now, summary);
  if (!refusal || policy.required) return refusal;
  summary = GpuSummary{};
  summary.unverified = refusal->check + ": " + refusal->detail;
  return std::nullopt;
}

}  // namespace chrysalis::attest::gpu
