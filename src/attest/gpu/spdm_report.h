#pragma once
// An NVIDIA GPU's confidential-computing attestation report as NVML returns it: the SPDM 1.1
// GET_MEASUREMENTS request (with the verifier's nonce) followed by the MEASUREMENTS response
// (measurement blocks, the responder's nonce, NVIDIA's opaque TLVs, an ECDSA P-384 signature over
// everything before it). Layout: tests/data/gpu/README.md. Every length is checked; a report that
// does not fill its sizes exactly is refused, naming the section.
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "attest/quote/quote_bytes.h"

namespace chrysalis::attest::gpu {

// A malformed report; what() names the section and the sizes that disagree.
struct SpdmParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct MeasurementBlock {
  uint8_t index = 0;       // 1-based, as SPDM numbers them
  uint8_t value_type = 0;  // DMTF measurement value type
  Bytes value;             // 48 bytes (SHA-384) on the GPUs we know
};

struct OpaqueField {
  uint16_t type = 0;
  Bytes value;
};

// NVIDIA's opaque data types (the ones a verifier reads).
namespace opaque {
inline constexpr uint16_t kDriverVersion = 3;
inline constexpr uint16_t kGpuInfo = 4;
inline constexpr uint16_t kVbiosVersion = 6;
inline constexpr uint16_t kNvdec0Status = 11;
inline constexpr uint16_t kMeasurementCount = 12;
inline constexpr uint16_t kBoardId = 14;
inline constexpr uint16_t kChipSku = 15;
inline constexpr uint16_t kChipSkuMod = 16;
inline constexpr uint16_t kProject = 17;
inline constexpr uint16_t kProjectSku = 18;
inline constexpr uint16_t kProjectSkuMod = 19;
inline constexpr uint16_t kFwid = 20;
inline constexpr uint16_t kProtectedPcie = 21;
}  // namespace opaque

inline constexpr std::size_t kSpdmNonceBytes = 32;
inline constexpr std::size_t kSpdmSignatureBytes = 96;  // raw r || s, P-384

struct SpdmReport {
  Fixed<kSpdmNonceBytes> request_nonce{};
  uint8_t slot_id = 0;
  std::vector<MeasurementBlock> blocks;
  Fixed<kSpdmNonceBytes> responder_nonce{};
  std::vector<OpaqueField> opaque;
  std::size_t signed_bytes = 0;  // the signature covers bytes [0, signed_bytes) of the report
  Fixed<kSpdmSignatureBytes> signature{};

  // Decoded opaque fields ("" / nullopt when absent).
  std::string driver_version;  // "545.00"
  std::string vbios_version;   // "96.00.5E.00.01"
  std::string project, project_sku, chip_sku;
  std::optional<Bytes> fwid;             // type 20, newer drivers
  std::optional<uint8_t> nvdec0_status;  // type 11; 0x55: NVDEC disabled

  const OpaqueField* find_opaque(uint16_t type) const;
  const MeasurementBlock* find_block(uint8_t index) const;
  // The VBIOS reference manifest's name: project_projectSKU_chipSKU_VBIOS (no dots), e.g.
  // 1010_0200_882_96005E0001.
  std::string vbios_rim_name() const;
};

// Parses the report's bytes; throws SpdmParseError.
SpdmReport parse_spdm_report(std::span<const uint8_t> bytes);

// NVML's text form (hex) or raw bytes: hex text is decoded, anything else is taken as is.
Bytes report_bytes_from_file_text(std::string_view text);

}  // namespace chrysalis::attest::gpu
