// A stand-in for NVIDIA's libnvidia-ml.so.1 with the confidential-computing calls the "nvml" GPU
// evidence provider makes, for machines without a GPU (CI). It serves what a test put in the
// directory named by CHRYSALIS_FAKE_NVML_DIR:
//   state        "ENVIRONMENT CC_FEATURE DEVTOOLS" (NVML's values; missing: "2 1 0", production, on, off)
//   ready        "0" or "1": the GPUs-ready state (nvmlSystemSetConfComputeGpusReadyState writes it)
//   gpuN.report  GPU N's attestation report bytes, gpuN.chain its attestation-key chain (PEM);
//                the GPU count is the number of gpuN.report files
//   fail         the name of one call that fails (returns NVML_ERROR_UNKNOWN)
// and records the nonce of each report request in gpuN.nonce. A test that wants a valid report
// writes one for the nonce it will ask for; one that plays a replaying host leaves an old report.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "attest/gpu/nvml_abi.h"

namespace nvml = chrysalis::attest::gpu::nvml;
namespace fs = std::filesystem;

namespace {

constexpr nvml::Return kErrorUninitialized = 1;
constexpr nvml::Return kErrorInvalidArgument = 2;
constexpr nvml::Return kErrorUnknown = 999;

bool g_initialized = false;

fs::path dir() {
  const char* d = std::getenv("CHRYSALIS_FAKE_NVML_DIR");
  return d ? fs::path(d) : fs::path(".");
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes; }

bool fails(const char* call) {
  std::string f = read(dir() / "fail");
  while (!f.empty() && (f.back() == '\n' || f.back() == ' ')) f.pop_back();
  return f == call;
}

unsigned gpu_count() {
  unsigned n = 0;
  while (fs::exists(dir() / ("gpu" + std::to_string(n) + ".report"))) ++n;
  return n;
}

// Handles are 1-based indices, so a null handle is never a GPU.
unsigned index_of(nvml::Device d) { return static_cast<unsigned>(reinterpret_cast<uintptr_t>(d) - 1); }

#define FAKE_NVML_CALL(name)                          \
  if (fails(name)) return kErrorUnknown;              \
  if (!g_initialized) return kErrorUninitialized;

}  // namespace

extern "C" {

nvml::Return nvmlInit_v2() {
  if (fails("nvmlInit_v2")) return kErrorUnknown;
  g_initialized = true;
  return nvml::kSuccess;
}

nvml::Return nvmlShutdown() {
  g_initialized = false;
  return nvml::kSuccess;
}

const char* nvmlErrorString(nvml::Return rc) {
  switch (rc) {
    case kErrorUninitialized: return "Uninitialized";
    case kErrorInvalidArgument: return "Invalid Argument";
    default: return "Unknown Error";
  }
}

nvml::Return nvmlDeviceGetCount_v2(unsigned* count) {
  FAKE_NVML_CALL("nvmlDeviceGetCount_v2");
  *count = gpu_count();
  return nvml::kSuccess;
}

nvml::Return nvmlDeviceGetHandleByIndex_v2(unsigned index, nvml::Device* device) {
  FAKE_NVML_CALL("nvmlDeviceGetHandleByIndex_v2");
  if (index >= gpu_count()) return kErrorInvalidArgument;
  *device = reinterpret_cast<nvml::Device>(static_cast<uintptr_t>(index) + 1);
  return nvml::kSuccess;
}

nvml::Return nvmlSystemGetConfComputeState(nvml::SystemState* state) {
  FAKE_NVML_CALL("nvmlSystemGetConfComputeState");
  std::istringstream in(fs::exists(dir() / "state") ? read(dir() / "state") : "2 1 0");
  in >> state->environment >> state->cc_feature >> state->devtools_mode;
  return nvml::kSuccess;
}

nvml::Return nvmlSystemGetConfComputeGpusReadyState(unsigned* accepting) {
  FAKE_NVML_CALL("nvmlSystemGetConfComputeGpusReadyState");
  *accepting = read(dir() / "ready").rfind('1', 0) == 0 ? 1 : 0;
  return nvml::kSuccess;
}

nvml::Return nvmlSystemSetConfComputeGpusReadyState(unsigned accepting) {
  FAKE_NVML_CALL("nvmlSystemSetConfComputeGpusReadyState");
  write(dir() / "ready", accepting ? "1" : "0");
  return nvml::kSuccess;
}

nvml::Return nvmlDeviceGetConfComputeGpuAttestationReport(nvml::Device device, nvml::GpuAttestationReport* report) {
  FAKE_NVML_CALL("nvmlDeviceGetConfComputeGpuAttestationReport");
  unsigned i = index_of(device);
  if (i >= gpu_count()) return kErrorInvalidArgument;
  write(dir() / ("gpu" + std::to_string(i) + ".nonce"),
        std::string(reinterpret_cast<const char*>(report->nonce), nvml::kNonceSize));
  std::string bytes = read(dir() / ("gpu" + std::to_string(i) + ".report"));
  if (bytes.size() > nvml::kAttestationReportSize) return kErrorUnknown;
  report->attestation_report_size = static_cast<unsigned>(bytes.size());
  std::memcpy(report->attestation_report, bytes.data(), bytes.size());
  report->is_cec_attestation_report_present = 0;
  return nvml::kSuccess;
}

nvml::Return nvmlDeviceGetConfComputeGpuCertificate(nvml::Device device, nvml::GpuCertificate* certificate) {
  FAKE_NVML_CALL("nvmlDeviceGetConfComputeGpuCertificate");
  unsigned i = index_of(device);
  if (i >= gpu_count()) return kErrorInvalidArgument;
  std::string chain = read(dir() / ("gpu" + std::to_string(i) + ".chain"));
  if (chain.size() > nvml::kAttestationCertChainSize) return kErrorUnknown;
  certificate->attestation_cert_chain_size = static_cast<unsigned>(chain.size());
  std::memcpy(certificate->attestation_cert_chain, chain.data(), chain.size());
  return nvml::kSuccess;
}

}  // extern "C"
