// `chrysalis receipt verify FILE [--answer TEXT] [--config TOML] [--endpoint PROXY_URL [--chain URL]]`:
// checks a receipt as anyone holding it can (receipts/README.md): the worker's and the proxy's
// signatures, that no decoded field was changed, the worker's certificate against a policy (the
// [attestation] section of --config, at the time the receipt was signed), the answer text against
// the signed hash, and with --endpoint that it is in the books the proxy committed on chain.
// Prints one JSON object; exit 0 only when every check that ran passed. Each failure names what failed.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "attest/policy/policy.h"
#include "attest/policy/policy_config.h"
#include "attest/quote/quote_crypto.h"
#include "attest/ra_tls/attested_peer_verifier.h"
#include "cli/commands.h"
#include "cli/receipt_inclusion.h"
#include "common/hex.h"
#include "common/toml_reader.h"
#include "crypto/peer_verifier.h"
#include "receipts/answer_digest.h"
#include "receipts/receipt.h"
#include "ton/cells/encoding.h"

namespace chrysalis::cli {
namespace {

std::string read_text(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw CLI::RuntimeError("receipt verify: cannot read " + file, 2);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The receipt object: a file holding one, or an answer body / usage chunk that carries one.
nlohmann::json receipt_object(const nlohmann::json& j) {
  if (j.is_object() && j.contains("chrysalis") && j["chrysalis"].is_object() && j["chrysalis"].contains("receipt"))
    return j["chrysalis"]["receipt"];
  return j;
}

struct Report {
  nlohmann::json checks = nlohmann::json::array();
  bool ok = true;
  void add(const std::string& check, bool passed, const std::string& detail) {
    checks.push_back({{"check", check}, {"ok", passed}, {"detail", detail}});
    ok = ok && passed;
  }
};

// The certificate against the policy of `config`, as of the time the worker signed.
void check_certificate(Report& report, const std::string& der, const proto::WorkerReceipt& worker,
                       const std::string& config) {
  if (der.empty()) return report.add("worker_certificate", false, "the receipt carries no worker certificate");
  attest::X509Ptr cert;
  try {
    cert = attest::load_der_certificate({reinterpret_cast<const uint8_t*>(der.data()), der.size()});
  } catch (const std::exception& e) {
    return report.add("worker_certificate", false, std::string("does not parse: ") + e.what());
  }
  if (config.empty())
    return report.add("worker_certificate", true, "present; not checked against a policy (give --config)");
  auto settings = attest::read_attestation_settings(TomlReader(config), config);
  auto policy = std::make_shared<attest::StaticPolicySource>(attest::build_policy(settings));
  auto signed_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(worker.ended_ms()));
  attest::AttestedPeerVerifier verifier(policy, "worker", nullptr, [signed_at] { return signed_at; });
  crypto::PeerIdentity identity;
  std::string reason;
  if (!verifier.verify(cert.get(), identity, reason))
    return report.add("worker_certificate", false, "refused by the policy of " + config + ": " + reason);
  auto key = from_hex(identity.public_key_hex);
  if (std::string(key.begin(), key.end()) != worker.worker_key())
    return report.add("worker_certificate", false, "it is not the certificate of the key that signed the receipt");
  if (identity.model_hash != worker.model_hash())
    return report.add(
        "model_hash", false,
        "the receipt names model " + worker.model_hash() + " but the certificate attests " + identity.model_hash);
  report.add("worker_certificate", true, "attested worker, allowed by the policy of " + config);
}

}  // namespace

void register_receipt_commands(CLI::App& app) {
  auto* group = app.add_subcommand("receipt", "Signed receipts of answers");
  group->require_subcommand(1);
  auto* verify = group->add_subcommand("verify", "Check a receipt offline; one JSON object, exit 0 only when it holds");
  auto file = std::make_shared<std::string>();
  auto answer = std::make_shared<std::string>();
  auto config = std::make_shared<std::string>();
  auto endpoint = std::make_shared<std::string>();
  auto chain = std::make_shared<std::string>();
  verify->add_option("file", *file, "the receipt (JSON: /admin/receipts item, or an answer body carrying one)")
      ->required();
  verify->add_option("--answer", *answer, "a file holding the answer's text, checked against the signed hash");
  verify->add_option("--config", *config, "a node config whose [attestation] policy the worker must satisfy");
  verify->add_option("--endpoint", *endpoint,
                     "the proxy's HTTP URL: prove the receipt is in the books it committed on chain");
  verify->add_option("--chain", *chain, "the chain's toncenter URL (default: --config's [registry] endpoint)");
  verify->callback([file, answer, config, endpoint, chain] {
    Report report;
    auto parsed = nlohmann::json::parse(read_text(*file), nullptr, false);
    if (parsed.is_discarded()) throw CLI::RuntimeError("receipt verify: " + *file + " is not JSON", 2);
    auto j = receipt_object(parsed);
    std::string salt, error;
    auto receipt = receipts::receipt_from_json(j, salt, error);
    report.add("fields", receipt.has_value(), receipt ? "every decoded field says what the signed bytes say" : error);
    std::optional<receipts::Opened> opened;
    if (receipt) {
      receipts::Expected expected;
      if (!answer->empty()) expected.answer_hash = receipts::answer_hash(salt, read_text(*answer));
      opened = receipts::open_receipt(*receipt, expected, error);
      report.add("signatures", opened.has_value(),
                 opened ? "the worker's signature and the proxy's countersignature verify" : error);
      if (opened && !answer->empty()) report.add("answer_hash", true, "the answer text hashes to the signed hash");
    }
    if (opened) {
      std::string der = receipt->worker_certificate();
      if (der.empty() && j.contains("worker_certificate") && j["worker_certificate"].is_string()) {
        auto bytes = ton::from_base64(j["worker_certificate"].get<std::string>());
        der.assign(bytes.begin(), bytes.end());
      }
      check_certificate(report, der, opened->worker, *config);
      if (!endpoint->empty()) {
        std::string chain_url = *chain;
        if (chain_url.empty() && !config->empty())
          chain_url = attest::read_attestation_settings(TomlReader(*config), *config).registry.endpoint;
        auto included = check_receipt_inclusion(*receipt, *opened, *endpoint, chain_url);
        report.add("inclusion", included.ok, included.detail);
      }
    }
    nlohmann::json out{{"ok", report.ok}, {"checks", report.checks}};
    if (opened) out["summary"] = receipts::receipt_summary(*opened);
    std::cout << out.dump(2) << "\n";
    if (!report.ok) throw CLI::RuntimeError(1);
  });
}

}  // namespace chrysalis::cli
