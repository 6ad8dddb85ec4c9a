#pragma once
// Fetches TDX collateral from Intel's Provisioning Certification Service (PCS API v4) or a PCCS,
// which serves the same paths: the TDX TCB info for the platform's FMSPC, the TDX QE identity, the
// PCK CRL of the CA that issued its PCK certificate, and the root CA's CRL, each with its signing
// chain from the response header. The result is the bundle collateral.h parses, so fetched and
// file-given collateral are checked by the same code.
#include <utility>  // before Boost 1.74 awaitable.hpp

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

namespace chrysalis::attest {

struct PcsSettings {
  // "https://api.trustedservices.intel.com" (Intel's PCS) or a PCCS, e.g. "https://pccs.local:8081".
  std::string url;
  // The root CA's CRL; empty: "<url>/sgx/certification/v4/rootcacrl" (a PCCS serves it there; for
  // Intel's PCS name https://certificates.trustedservices.intel.com/IntelSGXRootCA.der).
  std::string root_crl_url;
  std::chrono::milliseconds timeout{30'000};
};

// The collateral bundle for `fmspc` (12 hex digits) and PCK CA `ca` ("platform" or "processor").
// Throws std::runtime_error naming the URL and what was wrong (status, missing header, not a CRL).
// Everything by value: the coroutine outlives its caller's temporaries.
boost::asio::awaitable<std::string> fetch_collateral_bundle(boost::asio::any_io_executor executor,
                                                            PcsSettings pcs, std::string fmspc,
                                                            std::string ca);

}  // namespace chrysalis::attest
