#include "attest/gpu/gpu_json.h"

#include "attest/quote/quote_crypto.h"

namespace chrysalis::attest::gpu {

nlohmann::json gpu_verification_to_json(const GpuVerification& r) {
  nlohmann::json j{{"verified", r.verified}};
  if (!r.verified) {
    j["reason"] = r.reason;
    j["reason_text"] = r.reason_text;
  }
  if (r.report) {
    const SpdmReport& rep = *r.report;
    nlohmann::json opaque_types = nlohmann::json::array();
    for (const auto& f : rep.opaque) opaque_types.push_back(f.type);
    j["report"] = {{"nonce", to_hex(rep.request_nonce)},
                   {"driver_version", rep.driver_version},
                   {"vbios_version", rep.vbios_version},
                   {"vbios_rim_name", rep.vbios_rim_name()},
                   {"measurements", rep.blocks.size()},
                   {"fwid", rep.fwid ? nlohmann::json(to_hex(*rep.fwid)) : nlohmann::json(nullptr)},
                   {"nvdec0_status", rep.nvdec0_status ? nlohmann::json(*rep.nvdec0_status) : nlohmann::json(nullptr)},
                   {"opaque_types", opaque_types}};
  }
  if (!r.leaf_subject.empty())
    j["gpu"] = {{"chip", r.chip}, {"device_id", r.device_id}, {"certificate", r.leaf_subject}, {"fwid", r.fwid_hex}};
  if (!r.driver_rim_signer.empty())
    j["reference_manifests"] = {{"driver_signer", r.driver_rim_signer},
                                {"vbios_signer", r.vbios_rim_signer},
                                {"measurements_checked", r.measurements_checked}};
  j["checks_not_done"] = r.checks_not_done;
  j["revocation"] = r.revocation;
  if (r.verified) j["valid_until"] = format_rfc3339(r.valid_until);
  return j;
}

}  // namespace chrysalis::attest::gpu
