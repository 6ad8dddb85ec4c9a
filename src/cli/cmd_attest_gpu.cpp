// `chrysalis attest gpu verify`: checks an NVIDIA GPU's confidential-computing evidence offline
// (attest/gpu/gpu_verifier.h) and prints one JSON object; exit 0 only when it verified.
#include <CLI/CLI.hpp>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "attest/gpu/gpu_binding.h"
#include "attest/gpu/gpu_json.h"
#include "attest/gpu/gpu_verifier.h"
#include "attest/gpu/rim_store.h"
#include "attest/gpu/sim_gpu.h"
#include "attest/quote/quote_crypto.h"
#include "attest/ra_tls/ra_tls_cert.h"
#include "cli/commands.h"
#include "cli/subcommand_group.h"

namespace chrysalis::cli {

namespace {

using namespace chrysalis::attest;
using namespace chrysalis::attest::gpu;

constexpr std::size_t kMaxInputBytes = 1 << 20;

std::string read_input(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) usage_error(std::string(what) + ": cannot read " + path);
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (text.size() > kMaxInputBytes) usage_error(std::string(what) + ": " + path + " is larger than 1 MiB");
  return text;
}

struct GpuVerifyArgs {
  std::string report, chain, nonce, rims, driver_rim, vbios_rim, at, device_root, rim_root, crls;
};

Bytes parse_nonce(std::string hex) {
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.pop_back();
  try {
    Bytes nonce = from_hex(hex);
    if (nonce.size() != 32) usage_error("--nonce must be 32 bytes (64 hex digits), got " + std::to_string(nonce.size()));
    return nonce;
  } catch (const std::invalid_argument&) {
    usage_error("--nonce is not hex");
  }
}

void run_gpu_verify(const GpuVerifyArgs& a) {
  if (a.report.empty() || a.chain.empty() || a.nonce.empty())
    usage_error("attest gpu verify: --report, --chain and --nonce are required");
  if (!a.rims.empty() && (!a.driver_rim.empty() || !a.vbios_rim.empty()))
    usage_error("give --rims DIR or --driver-rim/--vbios-rim, not both");
  GpuEvidence evidence{report_bytes_from_file_text(read_input(a.report, "--report")), read_input(a.chain, "--chain")};
  Bytes nonce = parse_nonce(a.nonce);
  std::chrono::system_clock::time_point at = std::chrono::system_clock::now();
  if (!a.at.empty()) {
    try {
      at = parse_rfc3339(a.at);
    } catch (const std::invalid_argument& e) {
      usage_error(std::string("--at: ") + e.what());
    }
  }
  GpuTrust trust = GpuTrust::nvidia();
  try {
    if (!a.device_root.empty()) trust.device = TrustAnchors::from_pem_file(a.device_root);
    if (!a.rim_root.empty()) trust.rim = TrustAnchors::from_pem_file(a.rim_root);
    if (!a.crls.empty()) trust.crls = std::make_shared<CrlSet>(load_crl_dir(a.crls));
  } catch (const std::exception& e) {
    usage_error(e.what());
  }
  GpuReferences refs;
  if (!a.driver_rim.empty()) refs.driver_rim = read_input(a.driver_rim, "--driver-rim");
  if (!a.vbios_rim.empty()) refs.vbios_rim = read_input(a.vbios_rim, "--vbios-rim");
  refs.required = !a.driver_rim.empty() || !a.vbios_rim.empty();
  if (!a.rims.empty()) {
    try {
      RimStore store = RimStore::from_directory(a.rims);
      SpdmReport report = parse_spdm_report(evidence.report);
      refs = store.references_for(report);
    } catch (const SpdmParseError&) {
      // the verifier names the malformed report
    } catch (const std::exception& e) {
      usage_error(e.what());
    }
    refs.required = true;
  }
  GpuVerification r = verify_gpu_evidence(evidence, nonce, trust, refs, at);
  nlohmann::json j = gpu_verification_to_json(r);
  j["at"] = format_rfc3339(at);
  std::cout << j.dump(2) << "\n";
  if (!r.verified) throw CLI::RuntimeError(kExitRefused);
}

void run_sim_ca(const std::string& out, bool force) {
  if (!force && std::filesystem::exists(std::filesystem::path(out) / kSimGpuRootKeyFile))
    usage_error(out + " already holds a simulated GPU CA; pass --force to replace it");
  SimGpuCa ca = create_sim_gpu_ca();
  try {
    write_sim_gpu_ca(ca, out);
  } catch (const std::exception& e) {
    usage_error(e.what());
  }
  nlohmann::json j{{"root_certificate", (std::filesystem::path(out) / kSimGpuRootCertFile).string()},
                   {"root_sha256", certificate_sha256_hex(ca.root_cert.get())}};
  std::cout << j.dump(2) << "\n";
}

// Evidence from a fresh simulated GPU under the CA in `ca_dir`: report.txt (hex, as NVML's text
// form) and chain.pem in `out`.
void run_sim_report(const std::string& ca_dir, const std::string& nonce_hex, const std::string& out) {
  Bytes nonce = parse_nonce(nonce_hex);
  SimGpuCa ca;
  try {
    ca = load_sim_gpu_ca(ca_dir);
  } catch (const std::exception& e) {
    usage_error(e.what());
  }
  SimGpu gpu(ca);
  std::filesystem::create_directories(out);
  std::ofstream(std::filesystem::path(out) / "report.txt") << to_hex(gpu.report(nonce));
  std::ofstream(std::filesystem::path(out) / "chain.pem") << gpu.chain_pem();
  nlohmann::json j{{"report", (std::filesystem::path(out) / "report.txt").string()},
                   {"chain", (std::filesystem::path(out) / "chain.pem").string()},
                   {"device_id", gpu.device_id()}};
  std::cout << j.dump(2) << "\n";
}

// A CRL from the simulated GPU CA, listing the CA-issued certificates of `revoke_chain` (if any).
void run_sim_crl(const std::string& ca_dir, const std::string& revoke_chain, int64_t valid_hours, const std::string& out) {
  SimGpuCa ca;
  std::vector<X509Ptr> revoked;
  try {
    ca = load_sim_gpu_ca(ca_dir);
    if (!revoke_chain.empty()) revoked = load_pem_certificates(read_input(revoke_chain, "--revoke"));
    // A worker's RA-TLS certificate: the chains of the GPUs it carries.
    std::vector<X509Ptr> carried;
    for (auto& cert : revoked) {
      auto ext = read_ra_tls_extensions(cert.get());
      if (!ext.gpu_evidence) continue;
      std::string error;
      auto gpus = decode_gpu_evidence(*ext.gpu_evidence, error);
      if (!gpus) usage_error("--revoke: " + error);
      for (auto& g : *gpus)
        for (auto& c : load_pem_certificates(g.chain_pem)) carried.push_back(std::move(c));
    }
    for (auto& c : carried) revoked.push_back(std::move(c));
  } catch (const std::exception& e) {
    usage_error(e.what());
  }
  std::vector<X509*> listed;
  for (auto& cert : revoked)
    if (X509_check_issued(ca.root_cert.get(), cert.get()) == X509_V_OK && X509_cmp(ca.root_cert.get(), cert.get()) != 0)
      listed.push_back(cert.get());
  auto now = std::chrono::system_clock::now();
  // A negative lifetime makes a CRL that has already expired (tests of a stale cache).
  auto from = valid_hours < 0 ? now + std::chrono::hours(2 * valid_hours) : now - std::chrono::minutes(5);
  std::string pem = make_sim_gpu_crl(ca, listed, from, now + std::chrono::hours(valid_hours));
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  if (!(file << pem)) usage_error("cannot write " + out);
  std::cout << nlohmann::json{{"crl", out}, {"revoked", listed.size()}}.dump(2) << "\n";
}


}  // namespace

void register_attest_gpu_commands(CLI::App& app) {
  CLI::App* attest = attest_group(app);
  CLI::App* gpu = subcommand_group(*attest, "gpu", "NVIDIA GPU confidential-computing evidence");
  auto* verify = gpu->add_subcommand(
      "verify", "Verify a GPU attestation report offline and print one JSON object (exit 0 only when verified)");
  auto args = std::make_shared<GpuVerifyArgs>();
  verify->add_option("--report", args->report, "The attestation report as NVML returns it (hex text or raw); required");
  verify->add_option("--chain", args->chain, "The attestation-key certificate chain, PEM, leaf first; required");
  verify->add_option("--nonce", args->nonce, "The 32-byte nonce the report was asked for, hex; required");
  verify->add_option("--rims", args->rims, "A directory of reference manifests (.swidtag/.xml): the two matching are checked");
  verify->add_option("--driver-rim", args->driver_rim, "The driver's reference manifest");
  verify->add_option("--vbios-rim", args->vbios_rim, "The VBIOS's reference manifest");
  verify->add_option("--at", args->at, "Verification time, RFC 3339 (default: the clock)");
  verify->add_option("--device-root", args->device_root, "Device root PEM instead of the pinned NVIDIA one (tests)");
  verify->add_option("--rim-root", args->rim_root, "RIM root PEM instead of the pinned NVIDIA one (tests)");
  verify->add_option("--crls", args->crls, "A directory of CRLs fetched while online (see crl-urls): revocation");
  verify->callback([args] { run_gpu_verify(*args); });

  auto* sim_ca = gpu->add_subcommand("sim-ca", "Create a simulated GPU CA (development only: it proves no hardware)");
  auto out = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  sim_ca->add_option("--out", *out, "Directory for the root certificate and key (0600)")->required();
  sim_ca->add_flag("--force", *force, "Replace an existing simulated GPU CA");
  sim_ca->callback([out, force] { run_sim_ca(*out, *force); });

  auto* sim_report = gpu->add_subcommand("sim-report", "Evidence of a simulated GPU for a nonce (report.txt, chain.pem)");
  auto ca_dir = std::make_shared<std::string>();
  auto nonce = std::make_shared<std::string>();
  auto report_out = std::make_shared<std::string>();
  sim_report->add_option("--ca", *ca_dir, "The simulated GPU CA's directory")->required();
  sim_report->add_option("--nonce", *nonce, "32-byte nonce, hex")->required();
  sim_report->add_option("--out", *report_out, "Directory for report.txt and chain.pem")->required();
  sim_report->callback([ca_dir, nonce, report_out] { run_sim_report(*ca_dir, *nonce, *report_out); });

  auto* sim_crl = gpu->add_subcommand("sim-crl", "A CRL from the simulated GPU CA (for a revocation cache)");
  auto crl_ca = std::make_shared<std::string>();
  auto revoke = std::make_shared<std::string>();
  auto hours = std::make_shared<int64_t>(24 * 7);
  auto crl_out = std::make_shared<std::string>();
  sim_crl->add_option("--ca", *crl_ca, "The simulated GPU CA's directory")->required();
  sim_crl->add_option("--revoke", *revoke, "A chain (PEM), or a worker's RA-TLS certificate, whose GPU certificates from this CA the CRL lists");
  sim_crl->add_option("--valid-hours", *hours, "Hours until nextUpdate; negative: already expired");
  sim_crl->add_option("--out", *crl_out, "The CRL file to write (PEM)")->required();
  sim_crl->callback([crl_ca, revoke, hours, crl_out] { run_sim_crl(*crl_ca, *revoke, *hours, *crl_out); });

  auto* urls = gpu->add_subcommand("crl-urls", "The CRL URLs of an attestation-key chain, to fill a revocation cache");
  auto urls_chain = std::make_shared<std::string>();
  urls->add_option("--chain", *urls_chain, "The attestation-key chain, PEM")->required();
  urls->callback([urls_chain] {
    try {
      std::cout << nlohmann::json(crl_urls(read_input(*urls_chain, "--chain"))).dump(2) << "\n";
    } catch (const std::exception& e) {
      usage_error(e.what());
    }
  });
}

}  // namespace chrysalis::cli
