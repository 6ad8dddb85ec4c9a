// `chrysalis attest collateral fetch`: TDX collateral for a platform from Intel's PCS or a PCCS,
// checked and written as the bundle `attest verify --collateral` reads; `chrysalis attest
// dev-collateral`: what a PCS would answer for the development CA's platform (tests, a local PCS
// stand-in), with a chosen TCB status, validity and revocation.
#include <CLI/CLI.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <iostream>

#include "attest/quote/collateral.h"
#include "attest/quote/dev_collateral.h"
#include "attest/quote/pcs_collateral.h"
#include "attest/quote/quote_crypto.h"
#include "cli/commands.h"
#include "cli/subcommand_group.h"
#include "common/file_io.h"
#include "http/http_client.h"

namespace chrysalis::cli {

namespace {

namespace asio = boost::asio;
using namespace chrysalis::attest;

struct FetchArgs {
  std::string url, root_crl_url, fmspc, ca = "platform", out, ca_file;
};

void run_fetch(const FetchArgs& a) {
  if (!a.ca_file.empty()) http::trust_client_ca(read_file(a.ca_file));
  asio::io_context io;
  std::string bundle, error;
  asio::co_spawn(io, fetch_collateral_bundle(io.get_executor(), PcsSettings{a.url, a.root_crl_url}, a.fmspc, a.ca),
                 [&](std::exception_ptr e, std::string text) {
                   if (e) {
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       error = ex.what();
                     }
                   }
                   bundle = std::move(text);
                 });
  io.run();
  if (!error.empty()) throw CLI::RuntimeError(error, 1);
  Collateral c = parse_collateral(bundle);  // what a node would reject is not written
  if (!a.out.empty()) write_file(a.out, bundle, std::filesystem::perms(0644));
  nlohmann::json out = {{"fmspc", c.tcb_info.body.value("fmspc", "")},
                        {"tcb_evaluation_number", c.tcb_info.body.value("tcbEvaluationDataNumber", 0)},
                        {"tcb_info_next_update", c.tcb_info.body.value("nextUpdate", "")},
                        {"qe_identity_next_update", c.qe_identity.body.value("nextUpdate", "")},
                        {"pck_crl", c.pck_crl != nullptr},
                        {"root_ca_crl", c.root_ca_crl != nullptr},
                        {"written", a.out}};
  std::cout << out.dump(2) << "\n";
}

struct DevArgs {
  std::string dev_ca, out, status = "UpToDate";
  int64_t valid_hours = 24 * 30;
  bool revoke_pck = false;
};

void run_dev_collateral(const DevArgs& a) {
  if (!is_known_tcb_status(a.status)) throw CLI::ValidationError("--status", "'" + a.status + "' is not a TCB status");
  DevCollateralOptions o;
  o.tcb_status = a.status;
  o.next_update = std::chrono::system_clock::now() + std::chrono::hours(a.valid_hours);
  if (a.valid_hours <= 0) o.issued = o.next_update - std::chrono::hours(48);
  o.revoke_pck = a.revoke_pck;
  auto r = make_dev_pcs_responses(load_dev_ca(a.dev_ca), o);
  std::filesystem::path dir = a.out;
  std::filesystem::create_directories(dir);
  auto put = [&](const char* name, const std::string& data) { write_file(dir / name, data, std::filesystem::perms(0644)); };
  put("fmspc", r.fmspc);
  put("tcb.json", r.tcb_body);
  put("qe.json", r.qe_body);
  put("signing_chain.pem", r.signing_chain);
  put("pckcrl.pem", r.pck_crl_pem);
  put("pckcrl_chain.pem", r.pck_crl_chain);
  put("rootcacrl.der", r.root_crl_der);
  std::cout << nlohmann::json{{"fmspc", r.fmspc}, {"status", a.status}, {"dir", a.out}}.dump() << "\n";
}


}  // namespace

void register_attest_collateral_commands(CLI::App& app) {
  CLI::App* attest = attest_group(app);
  auto* collateral = attest->add_subcommand("collateral", "TDX collateral from Intel's PCS or a PCCS");
  collateral->require_subcommand(1);
  auto* fetch = collateral->add_subcommand(
      "fetch", "Fetch a platform's TCB info, QE identity and CRLs; print what came and write the bundle");
  auto fa = std::make_shared<FetchArgs>();
  fetch->add_option("--url", fa->url, "PCS or PCCS, e.g. https://api.trustedservices.intel.com")->required();
  fetch->add_option("--fmspc", fa->fmspc, "The platform's FMSPC, 12 hex (from its PCK certificate)")->required();
  fetch->add_option("--ca", fa->ca, "The PCK CA: platform or processor")->capture_default_str();
  fetch->add_option("--root-crl-url", fa->root_crl_url,
                    "Root CA CRL (default: the PCCS path; Intel's: "
                    "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der)");
  fetch->add_option("--ca-file", fa->ca_file, "A PCCS's own CA certificate (PEM)");
  fetch->add_option("--out", fa->out, "Write the bundle here (for attest verify --collateral)");
  fetch->callback([fa] { run_fetch(*fa); });

  auto* dev = attest->add_subcommand(
      "dev-collateral", "What a PCS would answer for the development CA's platform (tests; proves nothing)");
  auto da = std::make_shared<DevArgs>();
  dev->add_option("--dev-ca", da->dev_ca, "The development CA directory (attest dev-ca)")->required();
  dev->add_option("--out", da->out, "Directory for the PCS answers")->required();
  dev->add_option("--status", da->status, "The platform's TCB status")->capture_default_str();
  dev->add_option("--valid-hours", da->valid_hours, "Hours until nextUpdate (0 or less: already expired)")
      ->capture_default_str();
  dev->add_flag("--revoke-pck", da->revoke_pck, "List the development PCK certificate in the PCK CRL");
  dev->callback([da] { run_dev_collateral(*da); });
}

}  // namespace chrysalis::cli
