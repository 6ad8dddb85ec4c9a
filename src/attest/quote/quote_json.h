#pragma once
// The JSON shape of a quote and of a verification, printed by `chrysalis attest verify` and
// reused by `chrysalis attest inspect` (certificates carrying quotes).
#include <nlohmann/json.hpp>

#include "attest/quote/quote_verifier.h"
#include "attest/quote/tdx_quote.h"

namespace chrysalis::attest {

// Fields of a parsed quote: version, body_type, tee_tcb_svn, mrseam, mrsignerseam, seam_attributes,
// td_attributes, debug, xfam, mrtd, mrconfigid, mrowner, mrownerconfig, rtmr[4], report_data,
// image_hash, qe (svn, prod id, mrsigner, mrenclave), trailing_bytes, and TD 1.5 fields.
nlohmann::json quote_to_json(const TdxQuote& quote);

// {verified, reason, reason_text, tcb_status, checks_not_done, ...quote_to_json fields, pck{...}}.
nlohmann::json verification_to_json(const QuoteVerification& result);

}  // namespace chrysalis::attest
