#include "attest/quote/quote_json.h"

#include <cstdio>

namespace chrysalis::attest {

namespace {
std::string hex64(uint64_t v) {
  char buf[19];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}
}  // namespace

nlohmann::json quote_to_json(const TdxQuote& q) {
  const auto& b = q.body;
  const auto& qe = q.signature.qe_report;
  nlohmann::json j;
  j["version"] = q.header.version;
  j["body_type"] = q.body_type;
  j["tee_tcb_svn"] = to_hex(b.tee_tcb_svn);
  j["mrseam"] = to_hex(b.mr_seam);
  j["mrsignerseam"] = to_hex(b.mr_signer_seam);
  j["seam_attributes"] = hex64(b.seam_attributes);
  j["td_attributes"] = hex64(b.td_attributes);
  j["debug"] = q.debug();
  j["sept_ve_disable"] = (b.td_attributes & kTdAttrSeptVeDisable) != 0;
  j["xfam"] = hex64(b.xfam);
  j["mrtd"] = to_hex(b.mr_td);
  j["mrconfigid"] = to_hex(b.mr_config_id);
  j["mrowner"] = to_hex(b.mr_owner);
  j["mrownerconfig"] = to_hex(b.mr_owner_config);
  nlohmann::json rtmr = nlohmann::json::array();
  for (const auto& r : b.rtmr) rtmr.push_back(to_hex(r));
  j["rtmr"] = rtmr;
  j["report_data"] = to_hex(b.report_data);
  if (b.td15) {
    j["tee_tcb_svn2"] = to_hex(b.tee_tcb_svn2);
    j["mrservicetd"] = to_hex(b.mr_service_td);
  }
  j["image_hash"] = to_hex(image_hash(b));
  nlohmann::json qej;
  qej["mrsigner"] = to_hex(qe.mr_signer);
  qej["mrenclave"] = to_hex(qe.mr_enclave);
  qej["isv_prod_id"] = qe.isv_prod_id;
  qej["isv_svn"] = qe.isv_svn;
  j["qe"] = qej;
  j["certification_data_type"] = q.signature.cert_data_type;
  j["quote_size"] = q.layout.end;
  j["trailing_bytes"] = q.trailing_bytes;
  return j;
}

nlohmann::json verification_to_json(const QuoteVerification& r) {
  nlohmann::json j = r.quote ? quote_to_json(*r.quote) : nlohmann::json::object();
  j["verified"] = r.verified;
  j["reason"] = r.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.reason);
  if (!r.reason_text.empty()) j["reason_text"] = r.reason_text;
  if (!r.quote) {  // the required keys exist even for an unparseable quote
    for (const char* k : {"version", "image_hash", "mrtd", "rtmr", "td_attributes", "debug", "report_data"})
      j[k] = nullptr;
  }
  j["tcb_status"] = r.tcb_status;
  j["checks_not_done"] = r.checks_not_done;
  if (!r.advisory_ids.empty()) j["advisory_ids"] = r.advisory_ids;
  if (r.pck) {
    nlohmann::json p;
    p["fmspc"] = to_hex(r.pck->fmspc);
    p["pce_id"] = to_hex(r.pck->pce_id);
    p["pce_svn"] = r.pck->pce_svn;
    p["cpu_svn"] = to_hex(r.pck->cpu_svn);
    j["pck"] = p;
  }
  if (!r.root_sha256.empty()) {
    j["root_sha256"] = r.root_sha256;
    j["root_key_id"] = r.root_key_id;
  }
  return j;
}

}  // namespace chrysalis::attest
