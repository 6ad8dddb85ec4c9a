#include "attest/gpu/nvml_gpu_provider.h"

#include <dlfcn.h>

#include <mutex>
#include <stdexcept>

#include "attest/gpu/nvml_abi.h"

namespace chrysalis::attest::gpu {

namespace {

const char* environment_name(unsigned e) {
  switch (e) {
    case 0: return "unavailable";
    case 1: return "simulation";
    case 2: return "production";
    default: return "unknown";
  }
}

class NvmlGpuProvider final : public GpuEvidenceProvider {
 public:
  NvmlGpuProvider(const std::string& library, GpuTrust self_check)
      : library_(library), self_check_(std::move(self_check)) {
    handle_ = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_)
      throw std::runtime_error("NVML: cannot load " + library + " (" + dlerror() +
                               "); is the NVIDIA driver installed in this VM?");
    try {
      bind();
      check(init_(), "nvmlInit_v2");
      initialized_ = true;
      read_state();
    } catch (...) {
      close();
      throw;
    }
  }
  ~NvmlGpuProvider() override { close(); }

  std::string kind() const override { return "nvml"; }

  nlohmann::json status() const override {
    std::lock_guard lock(mutex_);
    return {{"kind", "nvml"},
            {"library", library_},
            {"environment", environment_name(state_.environment)},
            {"cc", state_.cc_feature == nvml::kFeatureEnabled ? "on" : "off"},
            {"devtools", state_.devtools_mode == nvml::kDevtoolsOff ? "off" : "on"},
            {"gpus", count_},
            {"ready", ready_},
            {"collections", collections_}};
  }

  std::vector<GpuEvidence> collect(const std::array<uint8_t, 32>& nonce) override {
    std::lock_guard lock(mutex_);
    read_state();  // CC or DevTools may have changed since start (a host can reboot the GPU)
    std::vector<GpuEvidence> out;
    auto report = std::make_unique<nvml::GpuAttestationReport>();
    auto certificate = std::make_unique<nvml::GpuCertificate>();
    for (unsigned i = 0; i < count_; ++i) {
      std::string which = "GPU " + std::to_string(i);
      nvml::Device device = nullptr;
      check(get_handle_(i, &device), "nvmlDeviceGetHandleByIndex_v2", which);
      *report = {};
      std::copy(nonce.begin(), nonce.end(), report->nonce);
      check(get_report_(device, report.get()), "nvmlDeviceGetConfComputeGpuAttestationReport", which);
      if (report->attestation_report_size == 0 || report->attestation_report_size > nvml::kAttestationReportSize)
        throw std::runtime_error("NVML: " + which + " returned a report of " +
                                 std::to_string(report->attestation_report_size) + " bytes");
      *certificate = {};
      check(get_certificate_(device, certificate.get()), "nvmlDeviceGetConfComputeGpuCertificate", which);
      if (certificate->attestation_cert_chain_size == 0 ||
          certificate->attestation_cert_chain_size > nvml::kAttestationCertChainSize)
        throw std::runtime_error("NVML: " + which + " returned an attestation-key chain of " +
                                 std::to_string(certificate->attestation_cert_chain_size) + " bytes");
      GpuEvidence evidence{
          Bytes(report->attestation_report, report->attestation_report + report->attestation_report_size),
          std::string(reinterpret_cast<const char*>(certificate->attestation_cert_chain),
                      certificate->attestation_cert_chain_size)};
      GpuVerification v = verify_gpu_evidence(evidence, nonce, self_check_, {}, std::chrono::system_clock::now());
      if (!v.verified)
        throw std::runtime_error("NVML: " + which + "'s own evidence does not verify: " + v.reason + ": " +
                                 v.reason_text);
      out.push_back(std::move(evidence));
    }
    unsigned accepting = 0;
    check(get_ready_(&accepting), "nvmlSystemGetConfComputeGpusReadyState");
    if (!accepting) check(set_ready_(1), "nvmlSystemSetConfComputeGpusReadyState");
    ready_ = true;
    ++collections_;
    return out;
  }

 private:
  template <typename Fn>
  void symbol(Fn& fn, const char* name) {
    fn = reinterpret_cast<Fn>(dlsym(handle_, name));
    if (!fn)
      throw std::runtime_error("NVML: " + library_ + " has no " + name +
                               " (confidential computing needs driver R535 or newer)");
  }
  void bind() {
    symbol(init_, "nvmlInit_v2");
    symbol(shutdown_, "nvmlShutdown");
    symbol(error_string_, "nvmlErrorString");
    symbol(get_count_, "nvmlDeviceGetCount_v2");
    symbol(get_handle_, "nvmlDeviceGetHandleByIndex_v2");
    symbol(get_state_, "nvmlSystemGetConfComputeState");
    symbol(get_ready_, "nvmlSystemGetConfComputeGpusReadyState");
    symbol(set_ready_, "nvmlSystemSetConfComputeGpusReadyState");
    symbol(get_report_, "nvmlDeviceGetConfComputeGpuAttestationReport");
    symbol(get_certificate_, "nvmlDeviceGetConfComputeGpuCertificate");
  }
  void check(nvml::Return rc, const char* call, const std::string& which = "") const {
    if (rc == nvml::kSuccess) return;
    const char* text = error_string_ ? error_string_(rc) : nullptr;
    throw std::runtime_error("NVML: " + std::string(call) + (which.empty() ? "" : " (" + which + ")") + " failed: " +
                             (text ? text : "error " + std::to_string(rc)));
  }
  void read_state() {
    check(get_state_(&state_), "nvmlSystemGetConfComputeState");
    if (state_.cc_feature != nvml::kFeatureEnabled)
      throw std::runtime_error("NVML: confidential computing is off on this machine's GPUs: their memory and PCIe "
                               "traffic are open to the host (turn CC mode on before starting the worker)");
    if (state_.environment != nvml::kEnvironmentProduction)
      throw std::runtime_error(std::string("NVML: the confidential-computing environment is ") +
                               environment_name(state_.environment) + ", not production");
    if (state_.devtools_mode != nvml::kDevtoolsOff)
      throw std::runtime_error("NVML: confidential computing runs in DevTools mode, where a debugger can read GPU "
                               "memory");
    unsigned count = 0;
    check(get_count_(&count), "nvmlDeviceGetCount_v2");
    if (count == 0) throw std::runtime_error("NVML: no GPU found");
    if (count > kMaxGpus)
      throw std::runtime_error("NVML: " + std::to_string(count) + " GPUs, more than the " + std::to_string(kMaxGpus) +
                               " a worker may present");
    count_ = count;
  }
  void close() {
    if (initialized_ && shutdown_) shutdown_();
    initialized_ = false;
    if (handle_) dlclose(handle_);
    handle_ = nullptr;
  }

  std::string library_;
  GpuTrust self_check_;
  void* handle_ = nullptr;
  bool initialized_ = false;
  mutable std::mutex mutex_;
  nvml::SystemState state_{};
  unsigned count_ = 0;
  bool ready_ = false;
  uint64_t collections_ = 0;
  nvml::InitFn init_ = nullptr;
  nvml::ShutdownFn shutdown_ = nullptr;
  nvml::ErrorStringFn error_string_ = nullptr;
  nvml::DeviceGetCountFn get_count_ = nullptr;
  nvml::DeviceGetHandleByIndexFn get_handle_ = nullptr;
  nvml::SystemGetConfComputeStateFn get_state_ = nullptr;
  nvml::SystemGetGpusReadyStateFn get_ready_ = nullptr;
  nvml::SystemSetGpusReadyStateFn set_ready_ = nullptr;
  nvml::DeviceGetReportFn get_report_ = nullptr;
  nvml::DeviceGetCertificateFn get_certificate_ = nullptr;
};

}  // namespace

std::unique_ptr<GpuEvidenceProvider> make_nvml_gpu_provider(const std::string& library, GpuTrust self_check) {
  return std::make_unique<NvmlGpuProvider>(library, std::move(self_check));
}

}  // namespace chrysalis::attest::gpu
