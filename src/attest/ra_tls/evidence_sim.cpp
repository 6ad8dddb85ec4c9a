#include "attest/ra_tls/evidence_sim.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>

#include "attest/quote/quote_builder.h"
#include "attest/quote/quote_crypto.h"

namespace chrysalis::attest {
namespace {

// SHA-384 of a whole file, streamed; cached per canonical path (the binary does not change
// while we run, and hashing it costs tens of milliseconds).
Fixed<48> file_sha384(const std::filesystem::path& path) {
  static std::mutex mutex;
  static std::map<std::string, Fixed<48>> cache;
  std::error_code ec;
  std::string key = std::filesystem::canonical(path, ec).string();
  if (ec) key = path.string();
  std::lock_guard lock(mutex);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  auto digest = digest_file(path, EVP_sha384(), "measure it for the simulated TEE");
  Fixed<48> out{};
  std::copy(digest.begin(), digest.end(), out.begin());
  cache[key] = out;
  return out;
}

}  // namespace

TdReportBody sim_td_body(const MeasuredConfig& config, const std::filesystem::path& binary) {
  TdReportBody body = default_td_body();
  body.mr_td = file_sha384(binary);
  body.mr_config_id = {};
  body.mr_owner = {};
  body.mr_owner_config = {};
  for (auto& r : body.rtmr) r = {};
  body.rtmr[3] = rtmr3_for(config.digest());
  return body;
}

std::string sim_image_hash(const MeasuredConfig& config, const std::filesystem::path& binary) {
  return to_hex(image_hash(sim_td_body(config, binary)));
}

SimEvidence::SimEvidence(const std::filesystem::path& dev_ca_dir, const MeasuredConfig& config,
                         const std::filesystem::path& binary)
    : ca_(load_dev_ca(dev_ca_dir)), body_(sim_td_body(config, binary)) {}

std::string SimEvidence::quote(const std::array<uint8_t, 64>& report_data) {
  Bytes q = build_tdx_quote_v4(body_, report_data, ca_.signing_material());
  return std::string(q.begin(), q.end());
}

}  // namespace chrysalis::attest
