#pragma once
// GET /receipts/{request_id}/proof on the proxy's HTTP port: the proof that the newest receipt for
// that request is in a state the proxy committed on chain (receipts/receipt_proof.h), or why not yet.
#include <boost/asio/awaitable.hpp>

#include "billing/proxy_ledger.h"
#include "http/http_server.h"

namespace chrysalis::proxy {

// True when `req` is for this route (whatever the answer); `ledger` is null on a free network.
bool is_receipt_proof_request(const http::Request& req);
boost::asio::awaitable<void> serve_receipt_proof(billing::ProxyLedger* ledger, const http::Request& req,
                                                 http::Responder& res);

}  // namespace chrysalis::proxy
