// `chrysalis attest make-cert | inspect | image-hash | model-hash` and the hidden
// `attest bench-handshake`: the RA-TLS side of the attest group (the quote tools register
// verify and dev-ca in the same group; whichever registers first creates it).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "attest/policy/policy_config.h"
#include "attest/quote/quote_crypto.h"
#include "attest/quote/quote_json.h"
#include "attest/quote/tdx_quote.h"
#include "attest/ra_tls/claims.h"
#include "attest/ra_tls/evidence_sim.h"
#include "attest/ra_tls/evidence_tdx.h"
#include "attest/ra_tls/measured_config.h"
#include "attest/ra_tls/ra_tls_cert.h"
#include "attest/ra_tls/ra_tls_identity.h"
#include "cli/commands.h"
#include "cli/subcommand_group.h"
#include "common/json_bounded.h"
#include "common/toml_reader.h"
#include "common/url.h"
#include "ra-tls/handshake_bench.h"

namespace chrysalis::cli {

namespace fs = std::filesystem;

namespace {


std::string read_binary(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw CLI::RuntimeError("cannot read " + file.string(), 1);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A certificate's reported configuration: JSON from whoever made the certificate, so bounded.
nlohmann::json config_json(const std::string& text) {
  auto parsed = parse_json_bounded(text, {.max_bytes = attest::kMaxClaimsBytes, .max_depth = 8});
  return parsed.ok() ? parsed.value : nlohmann::json("unreadable: config " + parsed.error);
}

nlohmann::json claims_json(const attest::Claims& c) {
  return {{"role", c.role},
          {"public_key", attest::to_hex(c.public_key)},
          {"protocol_version", c.protocol_version},
          {"created_unix", c.created_unix},
          {"model_hash", c.model_hash},
          {"node_id", c.node_id},
          {"config", c.config.empty() ? nlohmann::json() : config_json(c.config)}};
}

int64_t asn1_unix(const ASN1_TIME* t) {
  return std::chrono::duration_cast<std::chrono::seconds>(attest::asn1_time_point(t).time_since_epoch()).count();
}

nlohmann::json quote_json_or_error(const std::string& quote) {
  try {
    auto parsed =
        attest::parse_tdx_quote(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(quote.data()), quote.size()));
    return attest::quote_to_json(parsed);
  } catch (const std::exception& e) {
    return {{"error", std::string("malformed quote: ") + e.what()}};
  }
}

nlohmann::json inspect_certificate(const std::string& pem) {
  attest::X509Ptr cert(attest::parse_certificate_pem(pem));
  if (!cert) throw CLI::RuntimeError("not a PEM certificate", 1);
  nlohmann::json out = {{"type", "certificate"}};
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
  out["subject_cn"] = cn;
  std::string key = attest::ed25519_public_key(cert.get());
  out["public_key"] =
      key.empty() ? "(not Ed25519)"
                  : attest::to_hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
  out["not_before_unix"] = asn1_unix(X509_get0_notBefore(cert.get()));
  out["not_after_unix"] = asn1_unix(X509_get0_notAfter(cert.get()));
  nlohmann::json exts = nlohmann::json::array();
  for (int i = 0; i < X509_get_ext_count(cert.get()); ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert.get(), i);
    char oid[128] = {0};
    OBJ_obj2txt(oid, sizeof oid, X509_EXTENSION_get_object(ext), 1);
    std::string name = oid == std::string(attest::kQuoteExtensionOid) ? "chrysalis-tdx-quote"
                       : oid == std::string(attest::kClaimsExtensionOid)
                           ? "chrysalis-claims"
                           : OBJ_nid2sn(OBJ_obj2nid(X509_EXTENSION_get_object(ext)));
    nlohmann::json e = {{"oid", oid}, {"name", name}, {"critical", X509_EXTENSION_get_critical(ext) == 1}};
    exts.push_back(e);
  }
  out["extensions"] = exts;
  auto ra = attest::read_ra_tls_extensions(cert.get());
  if (ra.claims) {
    std::string error;
    if (auto claims = attest::decode_claims(*ra.claims, error)) {
      out["claims"] = claims_json(*claims);
      out["claims_key_matches_certificate"] = std::string(claims->public_key.begin(), claims->public_key.end()) == key;
    } else {
      out["claims_error"] = error;
    }
  }
  if (ra.quote) {
    out["quote"] = quote_json_or_error(*ra.quote);
    if (ra.claims && out["quote"].contains("report_data")) {
      auto rd = attest::claims_report_data(*ra.claims);
      out["report_data_matches_claims"] = out["quote"]["report_data"] == attest::to_hex(rd);
    }
  } else {
    out["quote"] = nullptr;
  }
  return out;
}

// Role of a node config: the section it has ([proxy], [worker] or [client]).
std::string config_role(const TomlReader& r, const std::string& file) {
  for (const char* role : {"proxy", "worker", "client", "keybroker"})
    if (r.has(role)) return role;
  throw CLI::RuntimeError(file + ": no [proxy], [worker], [client] or [keybroker] section; pass --role", 1);
}

// attest make-cert: issue an RA-TLS certificate into a directory.
void register_make_cert(CLI::App* attest) {
  auto* make =
      attest->add_subcommand("make-cert", "Issue an RA-TLS certificate (simulated TEE quote) into a directory");
  auto role = std::make_shared<std::string>();
  auto model_hash = std::make_shared<std::string>();
  auto model_file = std::make_shared<std::string>();
  auto dev_ca = std::make_shared<std::string>();
  auto out_dir = std::make_shared<std::string>();
  auto node_id = std::make_shared<std::string>();
  auto trust = std::make_shared<std::vector<std::string>>();
  auto hours = std::make_shared<int64_t>(6);
  auto provider = std::make_shared<std::string>("sim");
  make->add_option("--role", *role, "worker | proxy | client")
      ->required()
      ->check(CLI::IsMember({"worker", "proxy", "client"}));
  make->add_option("--model-hash", *model_hash, "Worker: model hash (64 hex)");
  make->add_option("--model", *model_file, "Worker: GGUF file whose SHA-256 is the model hash");
  make->add_option("--dev-ca", *dev_ca, "Dev CA directory (chrysalis attest dev-ca)");
  make->add_option("--out", *out_dir, "Directory for key.pem and cert.pem")->required();
  make->add_option("--id", *node_id, "Node id in the claims and the certificate CN");
  make->add_option("--trust", *trust, "Trust entries measured into the image (default: dev:<dev-ca>)");
  make->add_option("--hours", *hours, "Certificate lifetime in hours")->capture_default_str();
  make->add_option("--provider", *provider, "sim | none | tdx")
      ->check(CLI::IsMember({"sim", "none", "tdx"}))
      ->capture_default_str();
  make->callback([=] {
    if (*role == "worker" && model_hash->empty() && model_file->empty())
      throw CLI::ValidationError("--model-hash", "a worker certificate needs --model-hash or --model");
    if (*provider == "sim" && dev_ca->empty())
      throw CLI::ValidationError("--dev-ca", "provider sim needs --dev-ca DIR");
    std::string hash = *model_hash;
    try {
      if (!model_file->empty()) hash = attest::model_hash_of_file(*model_file);
      if (!hash.empty() && (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos))
        throw std::runtime_error("--model-hash must be 64 lowercase hex characters");
      attest::Policy policy;
      std::vector<std::string> entries = *trust;
      if (entries.empty() && !dev_ca->empty()) entries.push_back("dev:" + *dev_ca);
      attest::apply_trust_entries(policy, entries);
      auto measured = attest::measure_config(*role, policy);
      std::shared_ptr<attest::EvidenceProvider> evidence;
      std::string image;
      if (*provider == "sim") {
        evidence = std::make_shared<attest::SimEvidence>(*dev_ca, measured);
        image = attest::sim_image_hash(measured);
      } else if (*provider == "tdx") {
        evidence = std::make_shared<attest::TdxEvidence>();
      } else {
        evidence = std::make_shared<attest::NoEvidence>();
      }
      attest::RaTlsIdentity issuer(evidence, {*role, node_id->empty() ? *role : *node_id, hash, *hours, *out_dir,
                                              *provider == "none" ? "" : measured.canonical()});
      auto id = issuer.issue();
      nlohmann::json result = {{"cert", (fs::path(*out_dir) / "cert.pem").string()},
                               {"key", (fs::path(*out_dir) / "key.pem").string()},
                               {"public_key", id.public_key_hex},
                               {"not_after_unix", id.not_after_unix},
                               {"image_hash", image},
                               {"model_hash", hash}};
      std::cout << result.dump(2) << "\n";
    } catch (const CLI::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw CLI::RuntimeError(std::string("attest make-cert: ") + e.what(), 1);
    }
  });
}

// attest inspect: a certificate's claims and quote, or a raw quote, as JSON.
void register_inspect(CLI::App* attest) {
  auto* inspect = attest->add_subcommand(
      "inspect", "Print a certificate's claims and quote (PEM) or a raw quote, as JSON; no trust needed");
  auto file = std::make_shared<std::string>();
  inspect->add_option("FILE", *file, "PEM certificate or raw quote")->required();
  inspect->callback([file] {
    std::string data = read_binary(*file);
    nlohmann::json out;
    if (data.find("-----BEGIN CERTIFICATE-----") != std::string::npos) {
      out = inspect_certificate(data);
    } else {
      out = quote_json_or_error(data);
      out["type"] = "quote";
    }
    std::cout << out.dump(2) << "\n";
    if (out.contains("error")) throw CLI::RuntimeError(1);
  });
}

// What a worker config's [engine] section measures (the node does the same in WorkerNode::start).
attest::EngineMeasurement engine_of(const TomlReader& r) {
  attest::EngineMeasurement engine{"127.0.0.1"};
  if (r.string("engine.kind", "embedded") != "embedded") {
    std::string error;
    auto url = parse_url(r.string("engine.url", ""), &error);
    if (!url) throw std::runtime_error("'engine.url': " + error);
    engine.host = url->host;
  }
  return engine;
}

// attest image-hash: the image hash a node config will have, for allow-lists.
void register_image_hash(CLI::App* attest) {
  auto* image = attest->add_subcommand(
      "image-hash",
      "Print the image hash a node config will have (for allow-lists): simulated TEE by default, a real TD "
      "image with --base-quote");
  auto config = std::make_shared<std::string>();
  auto image_role = std::make_shared<std::string>();
  auto binary = std::make_shared<std::string>("/proc/self/exe");
  auto base_quote = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  image->add_option("--config", *config, "Node config (TOML)")->required();
  image->add_option("--role", *image_role, "Role, when the config has no [proxy]/[worker]/[client] section");
  image->add_option("--binary", *binary, "Simulated TEE: the binary that will run the node (default: this one)");
  image->add_option("--base-quote", *base_quote,
                    "Real TD: a quote from the TD image (any configuration); its MRTD and RTMR0..2 are kept and "
                    "RTMR3 is replaced by this config's measurement");
  image->add_flag("--json", *json, "Print the image hash with the measured configuration and its digest");
  image->callback([=] {
    try {
      TomlReader r{fs::path(*config)};
      std::string role_name = image_role->empty() ? config_role(r, *config) : *image_role;
      auto settings = attest::read_attestation_settings(r, *config);
      auto policy = attest::build_policy(settings);
      attest::EngineMeasurement engine;
      if (role_name == "worker") engine = engine_of(r);
      auto measured = attest::measure_config(role_name, settings, policy, &engine);
      std::string hash;
      if (base_quote->empty()) {
        hash = attest::sim_image_hash(measured, *binary);
      } else {
        std::string bytes = read_binary(*base_quote);
        auto quote = attest::parse_tdx_quote(
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
        auto body = quote.body;
        body.rtmr[3] = attest::rtmr3_for(measured.digest());
        hash = attest::to_hex(attest::image_hash(body));
      }
      if (!*json) {
        std::cout << hash << "\n";
        return;
      }
      nlohmann::json out = {{"image_hash", hash},
                            {"config_digest", attest::to_hex(measured.digest())},
                            {"rtmr3", attest::to_hex(attest::rtmr3_for(measured.digest()))},
                            {"measured", measured.measured},
                            {"registry_root", measured.registry_root}};
      std::cout << out.dump(2) << "\n";
    } catch (const CLI::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw CLI::RuntimeError(std::string("attest image-hash: ") + e.what(), 1);
    }
  });
}

// attest model-hash: a worker's model hash.
void register_model_hash(CLI::App* attest) {
  auto* mh = attest->add_subcommand("model-hash",
                                    "Print a worker's model hash: SHA-256 of a GGUF file or of an external model name");
  auto mh_file = std::make_shared<std::string>();
  auto mh_name = std::make_shared<std::string>();
  mh->add_option("--file", *mh_file, "GGUF file");
  mh->add_option("--name", *mh_name, "SHA-256 of a name (legacy: external workers now attest [engine] model_sha256)");
  mh->callback([=] {
    if (mh_file->empty() == mh_name->empty())
      throw CLI::ValidationError("model-hash", "give exactly one of --file, --name");
    try {
      std::cout << (mh_file->empty() ? attest::model_hash_of_name(*mh_name) : attest::model_hash_of_file(*mh_file))
                << "\n";
    } catch (const std::exception& e) {
      throw CLI::RuntimeError(std::string("attest model-hash: ") + e.what(), 1);
    }
  });
}

// attest bench-handshake (hidden): RA-TLS handshake timings.
void register_bench_handshake(CLI::App* attest) {
  auto* bench = attest->add_subcommand("bench-handshake", "");  // hidden (empty description): bench/attest/handshake.sh
  auto iterations = std::make_shared<int>(200);
  auto bench_ca = std::make_shared<std::string>();
  bench->add_option("--iterations", *iterations, "Handshakes per variant")->capture_default_str();
  bench->add_option("--dev-ca", *bench_ca, "Dev CA directory")->required();
  bench->callback([=] {
    try {
      std::cout << attest::run_handshake_bench(*bench_ca, *iterations).dump(2) << "\n";
    } catch (const std::exception& e) {
      throw CLI::RuntimeError(std::string("attest bench-handshake: ") + e.what(), 1);
    }
  });
}

}  // namespace

void register_attest_ratls_commands(CLI::App& app) {
  auto* attest = attest_group(app);
  register_make_cert(attest);
  register_inspect(attest);
  register_image_hash(attest);
  register_model_hash(attest);
  register_bench_handshake(attest);
}

}  // namespace chrysalis::cli
