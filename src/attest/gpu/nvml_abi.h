#pragma once
// The parts of NVIDIA's management library (NVML) the "nvml" GPU evidence provider calls, as
// NVML's public header declares them (values and struct layouts are NVML's ABI, stable across
// driver releases since R535). Declared here so the build needs no CUDA or driver package; the
// library itself is loaded at run time (nvml_gpu_provider.cpp).
#include <cstdint>

namespace chrysalis::attest::gpu::nvml {

using Return = int;  // nvmlReturn_t
using Device = void*;  // nvmlDevice_t

inline constexpr Return kSuccess = 0;

inline constexpr unsigned kCertChainSize = 0x1000;              // NVML_GPU_CERT_CHAIN_SIZE
inline constexpr unsigned kAttestationCertChainSize = 0x1400;   // NVML_GPU_ATTESTATION_CERT_CHAIN_SIZE
inline constexpr unsigned kNonceSize = 0x20;                    // NVML_CC_GPU_CEC_NONCE_SIZE
inline constexpr unsigned kAttestationReportSize = 0x2000;      // NVML_CC_GPU_ATTESTATION_REPORT_SIZE
inline constexpr unsigned kCecAttestationReportSize = 0x1000;   // NVML_CC_GPU_CEC_ATTESTATION_REPORT_SIZE

// nvmlConfComputeSystemState_t
struct SystemState {
  unsigned environment;   // 0 unavailable, 1 simulation, 2 production
  unsigned cc_feature;    // 0 disabled, 1 enabled
  unsigned devtools_mode; // 0 off, 1 on (a debugger can read GPU memory)
};
inline constexpr unsigned kEnvironmentProduction = 2;
inline constexpr unsigned kFeatureEnabled = 1;
inline constexpr unsigned kDevtoolsOff = 0;

// nvmlConfComputeGpuCertificate_t
struct GpuCertificate {
  unsigned cert_chain_size;
  unsigned attestation_cert_chain_size;
  unsigned char cert_chain[kCertChainSize];
  unsigned char attestation_cert_chain[kAttestationCertChainSize];
};

// nvmlConfComputeGpuAttestationReport_t; the caller fills `nonce`.
struct GpuAttestationReport {
  unsigned is_cec_attestation_report_present;
  unsigned attestation_report_size;
  unsigned cec_attestation_report_size;
  unsigned char nonce[kNonceSize];
  unsigned char attestation_report[kAttestationReportSize];
  unsigned char cec_attestation_report[kCecAttestationReportSize];
};

// The symbols, by name and signature.
using InitFn = Return (*)();                                           // nvmlInit_v2
using ShutdownFn = Return (*)();                                       // nvmlShutdown
using ErrorStringFn = const char* (*)(Return);                         // nvmlErrorString
using DeviceGetCountFn = Return (*)(unsigned*);                        // nvmlDeviceGetCount_v2
using DeviceGetHandleByIndexFn = Return (*)(unsigned, Device*);        // nvmlDeviceGetHandleByIndex_v2
using SystemGetConfComputeStateFn = Return (*)(SystemState*);          // nvmlSystemGetConfComputeState
using SystemGetGpusReadyStateFn = Return (*)(unsigned*);               // nvmlSystemGetConfComputeGpusReadyState
using SystemSetGpusReadyStateFn = Return (*)(unsigned);                // nvmlSystemSetConfComputeGpusReadyState
using DeviceGetReportFn = Return (*)(Device, GpuAttestationReport*);   // nvmlDeviceGetConfComputeGpuAttestationReport
using DeviceGetCertificateFn = Return (*)(Device, GpuCertificate*);    // nvmlDeviceGetConfComputeGpuCertificate

}  // namespace chrysalis::attest::gpu::nvml
