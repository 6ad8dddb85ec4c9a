#pragma once
// Collateral for the development CA's simulated platform, in the exact formats Intel's PCS serves
// (pcs_collateral.h): TDX TCB info and QE identity signed by a "TCB Signing" certificate under the
// dev root, the PCK CRL and the root CRL signed by the dev root. For tests and `chrysalis attest
// dev-collateral`: a local PCS stand-in, so fetching, refreshing, a status downgrade and a
// revocation can be exercised where Intel is out of reach.
#include <chrono>
#include <string>

#include "attest/quote/dev_ca.h"

namespace chrysalis::attest {

struct DevCollateralOptions {
  std::string tcb_status = "UpToDate";  // what the dev platform's one TCB level says
  std::chrono::system_clock::time_point issued = std::chrono::system_clock::now() - std::chrono::hours(1);
  std::chrono::system_clock::time_point next_update = std::chrono::system_clock::now() + std::chrono::hours(24 * 30);
  bool revoke_pck = false;  // list the dev PCK certificate in the PCK CRL
};

// What a PCS answers on each path for the dev platform's FMSPC.
struct DevPcsResponses {
  std::string fmspc;             // 12 hex, upper case, from the dev PCK certificate
  std::string tcb_body;          // GET /tdx/certification/v4/tcb?fmspc=...
  std::string qe_body;           // GET /tdx/certification/v4/qe/identity
  std::string signing_chain;     // their TCB-Info-Issuer-Chain / SGX-Enclave-Identity-Issuer-Chain (PEM)
  std::string pck_crl_pem;       // GET /sgx/certification/v4/pckcrl?ca=platform
  std::string pck_crl_chain;     // its SGX-PCK-CRL-Issuer-Chain (PEM)
  std::string root_crl_der;      // GET /sgx/certification/v4/rootcacrl
};

DevPcsResponses make_dev_pcs_responses(const DevCa& ca, const DevCollateralOptions& options = {});

}  // namespace chrysalis::attest
