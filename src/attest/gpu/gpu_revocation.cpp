#include "attest/gpu/gpu_revocation.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "attest/quote/quote_crypto.h"
#include "crypto/peer_verifier.h"

namespace chrysalis::attest::gpu {

namespace fs = std::filesystem;
using time_point = std::chrono::system_clock::time_point;

namespace {

std::atomic<uint64_t> g_versions{0};

bool crl_file(const fs::path& p) {
  return p.extension() == ".crl";  // PEM or DER inside
}

std::string common_name(X509* cert) { return crypto::describe_certificate(cert).common_name; }

}  // namespace

CrlSet load_crl_dir(const fs::path& dir) {
  CrlSet set;
  set.version = ++g_versions;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && crl_file(entry.path())) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    std::string data = bytes.str();
    try {
      auto crl = load_crl({reinterpret_cast<const uint8_t*>(data.data()), data.size()});
      set.crls.emplace_back(crl.release(), X509_CRL_free);
    } catch (const std::exception& e) {
      throw std::runtime_error("GPU CRL cache: " + file.string() + " is not a CRL: " + e.what());
    }
  }
  return set;
}

CrlCache::CrlCache(fs::path dir, std::chrono::seconds min_interval)
    : dir_(std::move(dir)), min_interval_(min_interval) {
  fingerprint_ = fingerprint();
  set_ = std::make_shared<CrlSet>(load_crl_dir(dir_));  // a bad cache at start is a configuration error
  checked_ = std::chrono::steady_clock::now();
}

std::string CrlCache::fingerprint() const {
  std::string out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (!crl_file(entry.path())) continue;
    out += entry.path().filename().string() + ":" + std::to_string(entry.file_size(ec)) + ":" +
           std::to_string(entry.last_write_time(ec).time_since_epoch().count()) + ";";
  }
  return out;
}

std::shared_ptr<const CrlSet> CrlCache::current() {
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  if (now - checked_ < min_interval_) return set_;
  checked_ = now;
  std::string print = fingerprint();
  if (print == fingerprint_) return set_;
  try {
    set_ = std::make_shared<CrlSet>(load_crl_dir(dir_));
    fingerprint_ = print;
    error_.clear();
  } catch (const std::exception& e) {
    error_ = e.what();  // keep serving the last good set; /stats shows why
  }
  return set_;
}

std::string CrlCache::last_error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

std::string RevocationCheck::summary() const {
  std::string s = "CRLs cover " + std::to_string(checked) + " of " + std::to_string(total) + " certificates";
  for (std::size_t i = 0; i < uncovered.size(); ++i) s += (i ? "; " : ": not ") + uncovered[i];
  return s;
}

RevocationCheck check_revocation(const std::vector<std::shared_ptr<X509>>& chain, const CrlSet& crls, time_point at) {
  RevocationCheck out;
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
    X509* cert = chain[i].get();
    X509* issuer = chain[i + 1].get();
    ++out.total;
    std::string why = "no CRL from " + common_name(issuer);
    bool covered = false;
    for (const auto& crl : crls.crls) {
      if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(issuer)) != 0) continue;
      if (X509_CRL_verify(crl.get(), X509_get0_pubkey(issuer)) != 1) {
        ERR_clear_error();
        why = "a CRL names " + common_name(issuer) + " but is not signed by it";
        continue;
      }
      if (at < asn1_time_point(X509_CRL_get0_lastUpdate(crl.get()))) {
        why = "the CRL from " + common_name(issuer) + " is issued after the verification time";
        continue;
      }
      if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get())) {
        time_point t = asn1_time_point(next);
        if (at >= t) {
          why = "the CRL from " + common_name(issuer) + " expired at " + format_rfc3339(t);
          continue;
        }
        out.next_update = std::min(out.next_update, t);
      }
      X509_REVOKED* entry = nullptr;
      if (X509_CRL_get0_by_cert(crl.get(), &entry, cert) == 1) {
        out.revoked = common_name(cert) + " was revoked at " +
                      format_rfc3339(asn1_time_point(X509_REVOKED_get0_revocationDate(entry)));
        return out;
      }
      covered = true;
      break;
    }
    if (covered)
      ++out.checked;
    else
      out.uncovered.push_back(common_name(cert) + " (" + why + ")");
  }
  return out;
}

std::vector<std::string> crl_urls(const std::string& chain_pem) {
  std::vector<std::string> urls;
  for (auto& cert : load_pem_certificates(chain_pem)) {
    auto* points =
        static_cast<CRL_DIST_POINTS*>(X509_get_ext_d2i(cert.get(), NID_crl_distribution_points, nullptr, nullptr));
    if (!points) continue;
    for (int i = 0; i < sk_DIST_POINT_num(points); ++i) {
      DIST_POINT* dp = sk_DIST_POINT_value(points, i);
      if (!dp->distpoint || dp->distpoint->type != 0) continue;
      GENERAL_NAMES* names = dp->distpoint->name.fullname;
      for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
        GENERAL_NAME* n = sk_GENERAL_NAME_value(names, j);
        if (n->type != GEN_URI) continue;
        const ASN1_IA5STRING* uri = n->d.uniformResourceIdentifier;
        std::string url(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                        static_cast<std::size_t>(ASN1_STRING_length(uri)));
        if (std::find(urls.begin(), urls.end(), url) == urls.end()) urls.push_back(url);
      }
    }
    CRL_DIST_POINTS_free(points);
  }
  return urls;
}

}  // namespace chrysalis::attest::gpu
