// `chrysalis attest ...` (quote half): verify a TDX quote, create the development CA, and a hidden
// benchmark of quote verification. The group is shared with the RA-TLS commands (get-or-create).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "attest/quote/collateral.h"
#include "attest/quote/dev_ca.h"
#include "attest/quote/quote_cache.h"
#include "attest/quote/quote_crypto.h"
#include "attest/quote/quote_json.h"
#include "attest/quote/quote_verifier.h"
#include "cli/commands.h"
#include "cli/subcommand_group.h"

namespace chrysalis::cli {

namespace {

using namespace chrysalis::attest;
using Clock = std::chrono::system_clock;



bool looks_like_hex(const std::string& s) {
  size_t digits = 0;
  for (char c : s) {
    if (std::isxdigit(static_cast<unsigned char>(c)))
      ++digits;
    else if (!std::isspace(static_cast<unsigned char>(c)))
      return false;
  }
  return digits > 0 && digits % 2 == 0;
}

// A quote file: raw bytes, or the same as hex text.
Bytes read_quote_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) usage_error("cannot read quote file " + path);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.empty()) usage_error("quote file " + path + " is empty");
  if (looks_like_hex(data)) {
    data.erase(
        std::remove_if(data.begin(), data.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }),
        data.end());
    return from_hex(data);
  }
  return Bytes(data.begin(), data.end());
}

// "intel", "dev:CA.pem", or a comma-separated list of both.
TrustAnchors parse_trust(const std::string& spec) {
  TrustAnchors anchors;
  std::stringstream list(spec);
  std::string item;
  while (std::getline(list, item, ',')) {
    if (item == "intel") {
      const TrustAnchors intel = TrustAnchors::intel();
      for (const auto& r : intel.roots()) anchors.add(r);
    } else if (item.rfind("dev:", 0) == 0 && item.size() > 4) {
      try {
        const TrustAnchors dev = TrustAnchors::from_pem_file(item.substr(4));
        for (const auto& r : dev.roots()) anchors.add(r);
      } catch (const std::exception& e) {
        usage_error(e.what());
      }
    } else {
      usage_error("--trust wants intel or dev:CA.pem (comma-separated), got \"" + item + "\"");
    }
  }
  if (anchors.roots().empty()) usage_error("--trust names no root");
  return anchors;
}

Clock::time_point parse_now(const std::string& text) {
  if (text.empty()) return Clock::now();
  try {
    return parse_rfc3339(text);
  } catch (const std::invalid_argument& e) {
    usage_error(std::string("--now: ") + e.what());
  }
}

std::shared_ptr<const Collateral> load_collateral_option(const std::string& path) {
  if (path.empty()) return nullptr;
  try {
    return std::make_shared<const Collateral>(load_collateral_file(path));
  } catch (const std::exception& e) {
    usage_error(e.what());
  }
}

struct VerifyArgs {
  std::string quote, collateral, trust = "intel", now;
};

void run_verify(const VerifyArgs& a) {
  if (a.quote.empty()) usage_error("attest verify: --quote FILE is required");
  Bytes quote = read_quote_file(a.quote);
  TrustAnchors anchors = parse_trust(a.trust);
  auto collateral = load_collateral_option(a.collateral);
  QuoteVerification r = verify_quote(quote, anchors, collateral.get(), parse_now(a.now));
  nlohmann::json j = verification_to_json(r);
  j["trust"] = anchors.describe();
  std::cout << j.dump(2) << "\n";
  if (!r.verified) throw CLI::RuntimeError(kExitRefused);
}

void run_dev_ca(const std::string& out, bool force) {
  std::filesystem::path dir(out);
  if (!force && std::filesystem::exists(dir / kDevRootKeyFile))
    usage_error((dir / kDevRootKeyFile).string() + " exists; pass --force to replace the development CA");
  DevCa ca = create_dev_ca();
  try {
    write_dev_ca(ca, dir);
  } catch (const std::exception& e) {
    usage_error(e.what());
  }
  nlohmann::json j;
  j["dir"] = dir.string();
  j["root_certificate"] = (dir / kDevRootCertFile).string();
  j["root_sha256"] = certificate_sha256_hex(ca.root_cert.get());
  j["pck_certificate"] = (dir / kDevPckCertFile).string();
  j["attestation_key"] = (dir / kDevAttestationKeyFile).string();
  j["trust"] = "dev:" + (dir / kDevRootCertFile).string();
  std::cout << j.dump(2) << "\n";
}

double micros_since(std::chrono::steady_clock::time_point start, int n) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / n;
}

void run_bench(const VerifyArgs& a, int iterations) {
  if (iterations < 1) usage_error("--iterations must be >= 1");
  Bytes quote = read_quote_file(a.quote);
  TrustAnchors anchors = parse_trust(a.trust);
  auto collateral = load_collateral_option(a.collateral);
  const auto now = parse_now(a.now);
  auto first = verify_quote(quote, anchors, collateral.get(), now);
  if (!first.verified) usage_error("the quote does not verify (" + first.reason + ": " + first.reason_text + ")");

  auto t = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) (void)parse_tdx_quote(quote);
  double parse_us = micros_since(t, iterations);

  t = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i)
    if (!verify_quote(quote, anchors, collateral.get(), now).verified) usage_error("verification became unstable");
  double cold_us = micros_since(t, iterations);

  CachingQuoteVerifier cached(anchors, collateral);
  cached.verify(quote, now);
  const int cached_iterations = iterations * 100;
  t = std::chrono::steady_clock::now();
  bool hit = false;
  for (int i = 0; i < cached_iterations; ++i) cached.verify(quote, now, &hit);
  double cached_us = micros_since(t, cached_iterations);
  if (!hit) usage_error("the cache did not hit");

  std::cout << "quote: " << a.quote << " (" << quote.size() << " bytes, v" << first.quote->header.version << "), trust "
            << anchors.describe() << ", collateral " << (collateral ? "yes" : "no") << "\n";
  std::cout << "| operation | iterations | mean per quote |\n|---|---|---|\n" << std::fixed << std::setprecision(1);
  std::cout << "| parse only | " << iterations << " | " << parse_us << " us |\n";
  std::cout << "| verify, cold (no cache) | " << iterations << " | " << cold_us << " us |\n";
  std::cout << "| verify, cached (SHA-256 + LRU hit) | " << cached_iterations << " | " << std::setprecision(2)
            << cached_us << " us |\n";
}

}  // namespace

void register_attest_quote_commands(CLI::App& app) {
  CLI::App* attest = attest_group(app);

  auto* verify =
      attest->add_subcommand("verify", "Verify a TDX quote and print one JSON object (exit 0 only when verified)");
  auto args = std::make_shared<VerifyArgs>();
  // Checked in the callback, not by CLI11, so a missing file is a usage error with exit code 2.
  verify->add_option("--quote", args->quote, "Quote file (raw bytes or hex); required");
  verify->add_option("--collateral", args->collateral, "Collateral JSON (TCB info, QE identity, CRLs)");
  verify->add_option("--trust", args->trust, "Trusted roots: intel, dev:CA.pem, or both comma-separated")
      ->capture_default_str();
  verify->add_option("--now", args->now, "Verification time, RFC 3339 (default: the clock)");
  verify->callback([args] { run_verify(*args); });

  auto* dev_ca =
      attest->add_subcommand("dev-ca", "Create the development attestation CA (root, PCK-like leaf, attestation key)");
  auto out = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  dev_ca->add_option("--out", *out, "Directory for the PEM files (keys are written 0600)")->required();
  dev_ca->add_flag("--force", *force, "Replace an existing development CA");
  dev_ca->callback([out, force] { run_dev_ca(*out, *force); });

  auto* bench = attest->add_subcommand("bench-verify", "Benchmark quote verification, cold and cached");
  bench->group("");  // hidden
  auto bargs = std::make_shared<VerifyArgs>();
  auto iterations = std::make_shared<int>(200);
  bench->add_option("--quote", bargs->quote, "Quote file")->required();
  bench->add_option("--collateral", bargs->collateral, "Collateral JSON");
  bench->add_option("--trust", bargs->trust, "Trusted roots")->capture_default_str();
  bench->add_option("--now", bargs->now, "Verification time, RFC 3339");
  bench->add_option("--iterations", *iterations, "Cold verifications (cached ones: 100x)")->capture_default_str();
  bench->callback([bargs, iterations] { run_bench(*bargs, *iterations); });
}

}  // namespace chrysalis::cli
