#pragma once
// A development GPU, so that CI (which has no GPU) runs the whole GPU-evidence path: a P-384 CA
// issues an attestation-key certificate shaped like NVIDIA's (subjectAltName NVIDIA:<chip>:<id>,
// a DICE extension with the firmware ID) and the GPU answers a nonce with a report in NVIDIA's
// byte layout signed by that key. Its evidence verifies only where a verifier is given the CA's
// root in place of NVIDIA's; it proves nothing about hardware.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "attest/quote/quote_bytes.h"

namespace chrysalis::attest::gpu {

struct SimGpuCa {
  std::shared_ptr<X509> root_cert;
  std::shared_ptr<EVP_PKEY> root_key;
  std::string root_pem() const;
};

SimGpuCa create_sim_gpu_ca();

// Files of `chrysalis attest gpu sim-ca --out DIR` (the key is created 0600).
inline constexpr const char* kSimGpuRootCertFile = "sim_gpu_root.pem";
inline constexpr const char* kSimGpuRootKeyFile = "sim_gpu_root.key";
void write_sim_gpu_ca(const SimGpuCa& ca, const std::filesystem::path& dir);
// Throws std::runtime_error naming the missing or unreadable file.
SimGpuCa load_sim_gpu_ca(const std::filesystem::path& dir);

// A CRL from the CA's root listing `revoked` (certificates it issued), valid from `this_update`
// to `next_update`, PEM: what an operator's revocation cache holds for a simulated GPU.
std::string make_sim_gpu_crl(const SimGpuCa& ca, const std::vector<X509*>& revoked,
                             std::chrono::system_clock::time_point this_update,
                             std::chrono::system_clock::time_point next_update);

enum class DiceLayout { Hopper, Blackwell };

struct SimGpuSpec {
  std::string chip = "GH100";
  std::string driver_version = "550.54.15";
  std::string vbios_version = "96.00.9F.00.04";  // five pairs of hex digits
  DiceLayout dice = DiceLayout::Hopper;
  bool report_fwid = true;    // newer drivers state the FWID in the report
  Bytes reported_fwid;        // tests: a report stating another FWID than the certificate's
};

class SimGpu {
 public:
  SimGpu(const SimGpuCa& ca, SimGpuSpec spec = {});
  // The attestation-key chain as NVML returns it: leaf first, the root last.
  std::string chain_pem() const;
  // NVIDIA's layout for `nonce` (32 bytes), signed with the attestation key.
  Bytes report(std::span<const uint8_t> nonce) const;
  const Bytes& fwid() const { return fwid_; }
  const std::string& device_id() const { return device_id_; }

 private:
  SimGpuSpec spec_;
  std::shared_ptr<EVP_PKEY> key_;
  std::shared_ptr<X509> leaf_, root_;
  std::string device_id_;
  Bytes fwid_;
  std::vector<Bytes> measurements_;  // 64 × 48 bytes, derived from the chip and versions
};

}  // namespace chrysalis::attest::gpu
