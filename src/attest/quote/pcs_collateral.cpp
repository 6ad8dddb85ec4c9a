#include "attest/quote/pcs_collateral.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <vector>

#include "attest/quote/collateral_source.h"
#include "common/hex.h"
#include "common/url.h"
#include "http/http_client.h"

namespace chrysalis::attest {

namespace {

namespace asio = boost::asio;

struct Fetched {
  std::string body;
  std::string chain;  // the issuer chain header, percent-decoded (empty: none asked)
};

// GET `url`; the body (at most 4 MiB) and, when `chain_headers` names some, the first one present.
asio::awaitable<Fetched> get(asio::any_io_executor ex, std::string url, std::chrono::milliseconds timeout,
                             std::vector<std::string> chain_headers) {
  http::ClientRequest request;
  request.url = url;
  request.timeout = timeout;
  request.headers = {{"Accept", "*/*"}};
  auto response = co_await http::http_fetch(ex, std::move(request), 4 << 20);
  if (!response.ok()) throw std::runtime_error("collateral: " + url + ": " + response.message);
  if (response.status != 200)
    throw std::runtime_error("collateral: " + url + " answered HTTP " + std::to_string(response.status) + " " +
                             response.body.substr(0, 200));
  Fetched out{std::move(response.body), {}};
  for (const auto& name : chain_headers)
    if (auto it = response.headers.find(name); it != response.headers.end()) {
      out.chain = percent_decode(it->second, false);
      break;
    }
  if (!chain_headers.empty() && out.chain.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
    throw std::runtime_error("collateral: " + url + " sent no issuer chain (header " + chain_headers.front() + ")");
  co_return out;
}

// A CRL as collateral.h takes it: PEM as is, DER (Intel's root CRL) or hex text (a PCCS) as hex.
std::string crl_text(const std::string& body, const std::string& url) {
  if (body.find("-----BEGIN X509 CRL-----") != std::string::npos) return body;
  std::string trimmed = body;
  trimmed.erase(std::remove_if(trimmed.begin(), trimmed.end(), [](unsigned char c) { return std::isspace(c); }),
                trimmed.end());
  bool hex = !trimmed.empty() && trimmed.size() % 2 == 0 &&
             std::all_of(trimmed.begin(), trimmed.end(), [](char c) { return hex_digit_value(c) >= 0; });
  if (hex) return trimmed;
  if (!body.empty() && static_cast<unsigned char>(body[0]) == 0x30)  // a DER SEQUENCE
    return to_hex(std::span(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
  throw std::runtime_error("collateral: " + url + " is not a CRL (PEM, DER or hex)");
}

std::string normalized_fmspc(std::string text) {
  std::string fmspc = canonical_fmspc(std::move(text));
  if (fmspc.size() != 12 || !std::all_of(fmspc.begin(), fmspc.end(), [](char c) { return hex_digit_value(c) >= 0; }))
    throw std::runtime_error("collateral: FMSPC '" + fmspc.substr(0, 40) + "' is not 12 hex digits");
  return fmspc;
}

}  // namespace

asio::awaitable<std::string> fetch_collateral_bundle(asio::any_io_executor ex, PcsSettings pcs,
                                                     std::string fmspc, std::string ca) {
  fmspc = normalized_fmspc(std::move(fmspc));
  if (ca != "platform" && ca != "processor")
    throw std::runtime_error("collateral: PCK CA '" + ca.substr(0, 40) + "' is not platform or processor");
  std::string base = pcs.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  // Each operand named first: GCC 12 and the temporaries of a throwing co_await.
  std::string tcb_url = base + "/tdx/certification/v4/tcb?fmspc=" + fmspc;
  std::vector<std::string> tcb_chain = {"tcb-info-issuer-chain", "sgx-tcb-info-issuer-chain"};
  auto tcb = co_await get(ex, tcb_url, pcs.timeout, tcb_chain);
  std::string qe_url = base + "/tdx/certification/v4/qe/identity";
  std::vector<std::string> qe_chain = {"sgx-enclave-identity-issuer-chain"};
  auto qe = co_await get(ex, qe_url, pcs.timeout, qe_chain);
  std::string pck_crl_url = base + "/sgx/certification/v4/pckcrl?ca=" + ca + "&encoding=pem";
  std::vector<std::string> crl_chain = {"sgx-pck-crl-issuer-chain"};
  auto pck_crl = co_await get(ex, pck_crl_url, pcs.timeout, crl_chain);
  std::string root_url = pcs.root_crl_url.empty() ? base + "/sgx/certification/v4/rootcacrl" : pcs.root_crl_url;
  std::vector<std::string> no_chain;
  auto root_crl = co_await get(ex, root_url, pcs.timeout, no_chain);
  // The signed bodies go in as the exact text received: their signatures cover those bytes.
  auto tcb_body = nlohmann::json::parse(tcb.body, nullptr, false);
  auto qe_body = nlohmann::json::parse(qe.body, nullptr, false);
  if (!tcb_body.is_object() || !tcb_body.contains("tcbInfo"))
    throw std::runtime_error("collateral: the TCB info for FMSPC " + fmspc + " is not {tcbInfo, signature}");
  if (!qe_body.is_object() || !qe_body.contains("enclaveIdentity"))
    throw std::runtime_error("collateral: the QE identity is not {enclaveIdentity, signature}");
  using nlohmann::json;
  co_return "{\"tcb_info\":" + tcb.body + ",\"tcb_info_issuer_chain\":" + json(tcb.chain).dump() +
      ",\"qe_identity\":" + qe.body + ",\"qe_identity_issuer_chain\":" + json(qe.chain).dump() +
      ",\"pck_crl\":" + json(crl_text(pck_crl.body, pck_crl_url)).dump() +
      ",\"pck_crl_issuer_chain\":" + json(pck_crl.chain).dump() +
      ",\"root_ca_crl\":" + json(crl_text(root_crl.body, root_url)).dump() + "}";
}

}  // namespace chrysalis::attest
